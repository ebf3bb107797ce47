"""How a buyintent model is used: the CLI, the scoring I/O, the HTTP service."""
