"""Open routes: liveness, readiness, service info, Prometheus metrics."""
from __future__ import annotations

from fastapi import APIRouter, Request

from models.labels import INTENTS
from serving.errors import APIError

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Process alive")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", summary="Model loaded and ready to score")
async def readyz(request: Request) -> dict:
    if getattr(request.app.state, "batcher", None) is None:
        raise APIError(503, "not_ready", "model not loaded")
    alive = getattr(request.app.state.predictor, "alive", None)
    if alive is not None and not alive():
        raise APIError(503, "model_unavailable", "the model process is gone; a new one is starting")
    return {"status": "ready", "model": request.app.state.predictor.model_info}


@router.get("/info", summary="Model, labels and request limits")
async def info(request: Request) -> dict:
    settings = request.app.state.settings
    predictor = getattr(request.app.state, "predictor", None)
    return {
        "model": predictor.model_info if predictor else None,
        "labels": list(INTENTS),
        "limits": {"max_batch_size": settings.max_batch_size, "max_chars": settings.max_chars},
        "batching": {"enabled": settings.batching, "max_size": settings.batch_max_size,
                     "max_wait_ms": settings.batch_max_wait_ms, "max_queue": settings.max_queue},
        "model_process": settings.model_process,
    }


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics(request: Request):
    return request.app.state.metrics.render()
