"""API keys: `caller:key` pairs from settings, kept hashed, compared in constant time."""
from __future__ import annotations

import hashlib
import hmac
import logging

from fastapi import Request

from serving.errors import APIError

log = logging.getLogger("buyintent.auth")


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


class KeyRing:
    """Callers by key digest; the plain keys are not kept."""

    def __init__(self, spec: str):
        self._callers: list[tuple[bytes, str]] = []
        for pair in filter(None, (p.strip() for p in spec.split(","))):
            caller, sep, key = pair.partition(":")
            if not sep or not caller.strip() or not key.strip():
                raise ValueError(f"api_keys: expected caller:key pairs, got {pair.split(':')[0]!r}...")
            self._callers.append((_digest(key.strip()), caller.strip()))

    def __len__(self) -> int:
        return len(self._callers)

    def holds(self, key: str) -> bool:
        return self.caller(key) is not None

    def caller(self, key: str) -> str | None:
        """The caller owning `key`; every stored digest is compared, so timing leaks nothing."""
        digest = _digest(key)
        found = None
        for stored, caller in self._callers:
            if hmac.compare_digest(stored, digest):
                found = caller
        return found


async def require_caller(request: Request) -> str:
    """FastAPI dependency: the caller named by a valid `Authorization: Bearer <key>`.

    Async on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread hop
    per request that cost more than the check itself under load.
    """
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise APIError(401, "unauthorized", "missing bearer token: send Authorization: Bearer <key>")
    caller = request.app.state.keys.caller(key.strip())
    if caller is None:
        raise APIError(401, "unauthorized", "invalid API key")
    request.state.caller = caller
    return caller
