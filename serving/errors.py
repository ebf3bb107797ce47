"""One error contract for every route: {"error": ..., "error_type": ...}, never a stack trace."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("buyintent.api")


class APIError(Exception):
    """A failure with its HTTP status and machine-readable type."""

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
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    if error.get("type") == "json_invalid":
        return f"body: invalid JSON ({error.get('ctx', {}).get('error', msg)})"
    return f"{_field_path(tuple(error['loc']))}: {msg}"


def body(message: str, error_type: str) -> dict:
    return {"error": message, "error_type": error_type}


def install(app: FastAPI) -> None:
    @app.exception_handler(APIError)
    async def api_error(_: Request, exc: APIError):
        return JSONResponse(body(exc.message, exc.error_type), exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError):
        message = "; ".join(_validation_message(e) for e in exc.errors()[:5])
        return JSONResponse(body(message, "validation"), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException):
        kinds = {404: "not_found", 405: "method_not_allowed"}
        return JSONResponse(body(str(exc.detail), kinds.get(exc.status_code, "http_error")), exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception):
        log.exception("unhandled error")
        return JSONResponse(body("internal error", "internal"), 500)
