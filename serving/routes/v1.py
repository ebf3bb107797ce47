"""Authenticated routes: score comments, suggest link placements for a note."""
from __future__ import annotations

from typing import Sequence

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from models.placement import NoteInfo, ScoredComment as PolicyComment, place
from serving.auth import require_caller
from serving.batching import Overloaded
from serving.errors import APIError
from serving.model_process import ModelProcessGone
from serving.schemas import ErrorBody, PlacementRequest, PlacementResponse, ScoreRequest, ScoreResponse

ERRORS = {code: {"model": ErrorBody} for code in (401, 413, 422, 429, 503)}
router = APIRouter(prefix="/v1", tags=["v1"], dependencies=[Depends(require_caller)], responses=ERRORS)


def _json(content: dict) -> Response:
    # The predictor already produces the documented shape; serializing it directly skips a
    # second validation pass through the response model, the largest per-request cost.
    return Response(orjson.dumps(content), media_type="application/json")


async def _score(request: Request, texts: Sequence[str], notes: Sequence[str | None]) -> list[dict]:
    settings = request.app.state.settings
    if len(texts) > settings.max_batch_size:
        raise APIError(413, "too_large",
                       f"comments: {len(texts)} comments, max_batch_size is {settings.max_batch_size}")
    for i, text in enumerate(texts):
        if len(text) > settings.max_chars:
            raise APIError(422, "validation",
                           f"comments[{i}].text: {len(text)} characters, longer than max_chars ({settings.max_chars})")
    batcher = getattr(request.app.state, "batcher", None)
    if batcher is None:
        raise APIError(503, "not_ready", "model not loaded")
    try:
        results = await batcher.predict(texts, notes)
    except Overloaded as exc:
        raise APIError(429, "overloaded", f"too many comments waiting, retry shortly ({exc})") from exc
    except ModelProcessGone as exc:
        raise APIError(503, "model_unavailable", str(exc)) from exc
    counter = request.app.state.metrics.predictions
    for r in results:
        counter.labels(r["intent"]).inc()
    return results


@router.post("/score", response_model=ScoreResponse, summary="Score comments")
async def score(body: ScoreRequest, request: Request):
    """Intent with calibrated probabilities, diversion and product mentions for each comment, in order."""
    results = await _score(request, [c.text for c in body.comments], [c.note for c in body.comments])
    return _json({"model": request.app.state.predictor.model_info,
                  "results": [{"id": c.id, **r} for c, r in zip(body.comments, results)]})


@router.post("/placements", response_model=PlacementResponse, response_model_exclude_none=True,
             summary="Link-placement suggestions for a note")
async def placements(body: PlacementRequest, request: Request):
    """Demand under a note, blue-link and ad-link suggestions with reasons, and comments to moderate."""
    note = body.note
    results = await _score(request, [c.text for c in body.comments], [note.title] * len(body.comments))
    info = NoteInfo(id=note.id, title=note.title, domain=note.domain, brand=note.brand,
                    products=tuple(note.products), ad_link_invited=note.ad_link_invited, stores=tuple(note.stores),
                    has_blue_link=note.has_blue_link, has_ad_link=note.has_ad_link)
    scored = [PolicyComment(id=c.id, intent=r["intent"], intent_scores=r["intent_scores"], diversion=r["diversion"],
                            mentions=r["mentions"], likes=c.likes) for c, r in zip(body.comments, results)]
    decision = place(info, scored, request.app.state.policy)
    return {"model": request.app.state.predictor.model_info, **decision}
