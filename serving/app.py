"""The HTTP API: app factory, lifespan (model, batcher, keys, policy), routers, error contract."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

from models.placement import PlacementPolicy
from models.predictor import Predictor, freeze_loaded_objects, load_predictor
from serving import errors
from serving.auth import KeyRing
from serving.batching import MicroBatcher
from serving.logs import setup_logging
from serving.metrics import Metrics, MetricsMiddleware
from serving.model_process import ProcessPredictor
from serving.routes import health, v1
from serving.settings import DEV_API_KEY, Settings, get_settings

log = logging.getLogger("buyintent.api")

DESCRIPTION = """
Purchase intent, diversion and product mentions in Chinese social comments (小红书-style).

* `POST /v1/score`: each comment's intent (`ask_link`, `ask_product`, `ask_price`, `want_buy`,
  `none`, `spam`) with calibrated probabilities, the diversion flag and product mentions.
* `POST /v1/placements`: demand under a note, blue-link / ad-link suggestions and comments to moderate.

`/v1` routes need `Authorization: Bearer <key>`. Errors are `{"error": ..., "error_type": ...}`.
"""


def _load(settings: Settings) -> Predictor:
    if not settings.model_process:
        return load_predictor(settings.model)
    return ProcessPredictor(settings.model, threads=settings.model_threads,
                            switch_interval_ms=settings.model_switch_interval_ms)


def create_app(settings: Settings | None = None, predictor: Predictor | None = None) -> FastAPI:
    """Build the app; the model loads in the lifespan unless a predictor is given (tests)."""
    setup_logging()  # a uvicorn worker process (workers > 1) starts without the CLI's setup
    settings = settings or get_settings()
    keys = KeyRing(settings.api_keys)
    policy = PlacementPolicy.from_yaml(settings.placement_policy)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if not len(keys):
            log.warning("no API keys configured (BUYINTENT_API_KEYS): every /v1 request will get 401")
        if keys.holds(DEV_API_KEY):
            log.warning("serving with the well-known development API key %r: never do this outside a "
                        "developer machine", DEV_API_KEY)
        app.state.predictor = predictor or _load(settings)
        freeze_loaded_objects()
        batcher = MicroBatcher(app.state.predictor, enabled=settings.batching, max_size=settings.batch_max_size,
                               max_wait_ms=settings.batch_max_wait_ms, max_queue=settings.max_queue,
                               on_batch=metrics.batch_size.observe)
        await batcher.start()
        app.state.batcher = batcher
        log.info("serving model %s (batching %s)", app.state.predictor.model_info,
                 "on" if settings.batching else "off")
        try:
            yield
        finally:
            app.state.batcher = None
            await batcher.stop()
            if predictor is None and isinstance(app.state.predictor, ProcessPredictor):
                app.state.predictor.close()

    app = FastAPI(title="buyintent", version="1.0.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings, app.state.keys, app.state.policy, app.state.metrics = settings, keys, policy, metrics
    app.state.predictor = app.state.batcher = None
    errors.install(app)
    app.include_router(health.router)
    app.include_router(v1.router)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app
