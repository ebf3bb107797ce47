"""Prometheus metrics of the API (requests and latency by route, status and caller;
predictions) and the access log, which names the caller too."""
from __future__ import annotations

import logging
import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.responses import Response

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Replaces uvicorn's access log (`buyintent serve` turns that off), which cannot name the caller.
access_log = logging.getLogger("buyintent.access")


class Metrics:
    """One registry per app, so tests can build many apps in one process."""

    def __init__(self):
        self.registry = CollectorRegistry()
        self.requests = Counter("buyintent_requests", "HTTP requests", ["route", "method", "status", "caller"],
                                registry=self.registry)
        self.latency = Histogram("buyintent_request_seconds", "Request latency", ["route"], registry=self.registry,
                                 buckets=(.002, .005, .01, .02, .05, .1, .2, .5, 1, 2, 5))
        self.predictions = Counter("buyintent_predictions", "Scored comments by predicted intent", ["intent"],
                                   registry=self.registry)
        self.batch_size = Histogram("buyintent_batch_size", "Comments per model call", registry=self.registry,
                                    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512))

    def render(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE)


class MetricsMiddleware:
    """Counts, times and logs every request. Pure ASGI middleware (no per-request task or
    body buffering, unlike BaseHTTPMiddleware)."""

    def __init__(self, app, metrics: Metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            caller = scope.get("state", {}).get("caller", "-")
            seconds = time.perf_counter() - started
            self.metrics.latency.labels(route).observe(seconds)
            self.metrics.requests.labels(route, scope["method"], str(status["code"]), caller).inc()
            access_log.info("%s %s %d %.1fms caller=%s", scope["method"], scope["path"], status["code"],
                            seconds * 1000, caller)
