"""Routers per resource: health (open) and v1 (authenticated)."""
