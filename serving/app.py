"""The HTTP API: FastAPI app factory, lifespan model loading, one error contract."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from models.predictor import Predictor, load_predictor
from serving.schemas import ErrorBody, ScoreRequest, ScoreResponse
from serving.settings import Settings, get_settings

log = logging.getLogger("buyintent.api")


class APIError(Exception):
    def __init__(self, status: int, error_type: str, message: str):
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message


def _field_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        if part == "body":
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def _validation_message(error: dict) -> str:
    msg = error["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return f"{_field_path(tuple(error['loc']))}: {msg}"


def get_predictor(request: Request) -> Predictor:
    predictor = getattr(request.app.state, "predictor", None)
    if predictor is None:
        raise APIError(503, "not_ready", "model not loaded")
    return predictor


def create_app(settings: Settings | None = None, predictor: Predictor | None = None) -> FastAPI:
    """Build the app. The model loads in the lifespan unless a predictor is given (tests)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.predictor = predictor or load_predictor(settings.model)
        log.info("serving model %s", app.state.predictor.model_info)
        yield
        app.state.predictor = None

    app = FastAPI(title="buyintent", version="1.0.0", lifespan=lifespan,
                  description="Purchase intent, diversion and product mentions in Chinese social comments.")

    @app.exception_handler(APIError)
    async def api_error(_: Request, exc: APIError):
        return JSONResponse(ErrorBody(error=exc.message, error_type=exc.error_type).model_dump(), exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError):
        message = "; ".join(_validation_message(e) for e in exc.errors()[:5])
        return JSONResponse(ErrorBody(error=message, error_type="validation").model_dump(), 422)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception):
        log.exception("unhandled error")
        return JSONResponse(ErrorBody(error="internal error", error_type="internal").model_dump(), 500)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.post("/v1/score", response_model=ScoreResponse,
              responses={413: {"model": ErrorBody}, 422: {"model": ErrorBody}, 503: {"model": ErrorBody}})
    async def score(body: ScoreRequest, predictor: Predictor = Depends(get_predictor)):
        if len(body.comments) > settings.max_batch_size:
            raise APIError(413, "too_large",
                           f"comments: {len(body.comments)} comments, max_batch_size is {settings.max_batch_size}")
        for i, c in enumerate(body.comments):
            if len(c.text) > settings.max_chars:
                raise APIError(422, "validation", f"comments[{i}].text: longer than max_chars ({settings.max_chars})")
        preds = await run_in_threadpool(predictor.predict, [c.text for c in body.comments],
                                        [c.note for c in body.comments])
        return {"model": predictor.model_info,
                "results": [{"id": c.id, **p} for c, p in zip(body.comments, preds)]}

    return app
