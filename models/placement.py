"""Link-placement policy: pure functions from a note and its scored comments to decisions.

Blue links (蓝链, an in-app product link answered under a comment) are open to every note;
ad links (广告挂链, a note-level link out to Taobao or JD) are a pilot open to some
industries and invited brands only. The API and the daily batch report both call
`place()`, so there is one policy, configured in configs/placement.yaml.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from models.labels import BUYING_INTENTS, INTENTS


class PlacementPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ad_pilot_domains: list[str] = Field(default_factory=lambda: ["beauty", "food", "health", "outdoor"])
    ad_stores: list[str] = Field(default_factory=lambda: ["taobao", "jd"], description="Preference order.")
    min_ad_requests: int = Field(5, ge=1, description="ask_link/ask_product comments needed for an ad link.")
    min_ad_request_share: float = Field(0.05, ge=0, le=1, description="...and their share of all comments.")
    min_blue_link_requests: int = Field(1, ge=1, description="Requests needed before any blue link.")
    max_blue_links: int = Field(3, ge=0)
    anchor_intents: list[str] = Field(default_factory=lambda: ["ask_link", "ask_product"])
    min_anchor_score: float = Field(0.5, ge=0, le=1)
    intent_weight: float = Field(0.8, ge=0)
    likes_weight: float = Field(0.2, ge=0)
    top_products: int = Field(5, ge=1)

    @classmethod
    def from_yaml(cls, path: str | Path) -> "PlacementPolicy":
        return cls.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})


@dataclass(frozen=True)
class NoteInfo:
    id: str
    title: str
    domain: str
    brand: str | None = None
    products: tuple[str, ...] = ()
    ad_link_invited: bool = False
    stores: tuple[str, ...] = ()
    has_blue_link: bool = False
    has_ad_link: bool = False

    @property
    def own_product(self) -> str:
        """What a request with no mention asks for: the note's product, brand or title."""
        return self.products[0] if self.products else (self.brand or self.title)


@dataclass(frozen=True)
class ScoredComment:
    id: str
    intent: str
    intent_scores: dict[str, float]
    diversion: bool
    mentions: list[dict] = field(default_factory=list)
    likes: int = 0


def _requested_products(comment: ScoredComment, note: NoteInfo) -> list[str]:
    names = [m["text"] for m in comment.mentions if m["type"] in ("product", "brand")]
    return names or [note.own_product]


def demand(note: NoteInfo, comments: list[ScoredComment], policy: PlacementPolicy) -> dict:
    """Counts of buying intent under a note and the products most asked for."""
    by_intent = Counter({label: 0 for label in INTENTS})
    products: Counter = Counter()
    for c in comments:
        by_intent[c.intent] += 1
        if c.intent in BUYING_INTENTS and not c.diversion:
            products.update(set(_requested_products(c, note)))
    return {
        "comments": len(comments),
        "buying": sum(by_intent[i] for i in BUYING_INTENTS),
        "requests": sum(by_intent[i] for i in policy.anchor_intents),
        "by_intent": dict(by_intent),
        "top_products": [{"product": p, "comments": n} for p, n in products.most_common(policy.top_products)],
    }


def flagged(comments: list[ScoredComment]) -> list[dict]:
    """Comments for moderation: diversion or seller spam. Never link anchors."""
    out = []
    for c in comments:
        reasons = [r for r, hit in (("diversion", c.diversion), ("spam", c.intent == "spam")) if hit]
        if reasons:
            out.append({"comment_id": c.id, "reasons": reasons, "intent": c.intent})
    return out


def place(note: NoteInfo, comments: list[ScoredComment], policy: PlacementPolicy) -> dict:
    """Suggestions (best first), options not suggested with why, and comments to moderate."""
    d = demand(note, comments, policy)
    suggestions: list[dict] = []
    not_suggested: list[dict] = []
    _blue_links(note, comments, policy, d, suggestions, not_suggested)
    _ad_link(note, policy, d, suggestions, not_suggested)
    suggestions.sort(key=lambda s: -s["score"])
    return {"note_id": note.id, "demand": d, "suggestions": suggestions, "not_suggested": not_suggested,
            "flagged": flagged(comments)}


def _blue_links(note, comments, policy, d, suggestions, not_suggested) -> None:
    if note.has_blue_link:
        not_suggested.append({"kind": "comment_blue_link", "reason": "a blue link is already present under the note"})
        return
    if d["requests"] < policy.min_blue_link_requests:
        not_suggested.append({"kind": "comment_blue_link",
                              "reason": f"demand under the threshold: {d['requests']} link/product requests, "
                                        f"{policy.min_blue_link_requests} needed"})
        return
    max_likes = max((c.likes for c in comments), default=0)
    candidates = []
    for c in comments:
        if c.intent not in policy.anchor_intents or c.diversion or c.intent == "spam":
            continue
        request = sum(c.intent_scores.get(i, 0.0) for i in policy.anchor_intents)
        popularity = math.log1p(c.likes) / math.log1p(max_likes) if max_likes else 0.0
        score = (policy.intent_weight * request + policy.likes_weight * popularity) / (
            policy.intent_weight + policy.likes_weight)
        if score >= policy.min_anchor_score:
            candidates.append((score, c))
    candidates.sort(key=lambda sc: (-sc[0], sc[1].id))
    for score, c in candidates[: policy.max_blue_links]:
        product = _requested_products(c, note)[0]
        suggestions.append({
            "kind": "comment_blue_link", "score": round(score, 4), "comment_id": c.id, "product": product,
            "reason": f"comment {c.id} asks for {product} ({c.intent}, likes {c.likes}); "
                      f"answering it with a blue link serves {d['requests']} requests under the note"})
    if len(candidates) > policy.max_blue_links:
        not_suggested.append({"kind": "comment_blue_link",
                              "reason": f"{len(candidates) - policy.max_blue_links} more anchors passed the "
                                        f"threshold; at most {policy.max_blue_links} blue links per note"})
    if not candidates:
        not_suggested.append({"kind": "comment_blue_link",
                              "reason": "no unflagged request scored above the anchor threshold"})


def _ad_link(note, policy, d, suggestions, not_suggested) -> None:
    def refuse(reason):
        not_suggested.append({"kind": "note_ad_link", "reason": reason})

    if note.domain not in policy.ad_pilot_domains:
        return refuse(f"industry not in the ad-link pilot: {note.domain} (pilot: {', '.join(policy.ad_pilot_domains)})")
    if not note.ad_link_invited:
        return refuse("brand not invited to the ad-link pilot")
    if note.has_ad_link:
        return refuse("an ad link is already present on the note")
    stores = [s for s in policy.ad_stores if s in note.stores]
    if not stores:
        return refuse(f"no store to link to: the brand lists {list(note.stores) or 'none'}")
    share = d["requests"] / d["comments"] if d["comments"] else 0.0
    if d["requests"] < policy.min_ad_requests or share < policy.min_ad_request_share:
        return refuse(f"demand under the threshold: {d['requests']} requests ({share:.0%} of comments); "
                      f"at least {policy.min_ad_requests} requests and {policy.min_ad_request_share:.0%} of comments needed")
    suggestions.append({
        "kind": "note_ad_link", "score": round(min(1.0, share * 2), 4), "store": stores[0],
        "reason": f"{d['requests']} of {d['comments']} comments ({share:.0%}) ask for a link or the product; "
                  f"{note.domain} is in the pilot and the brand is invited; link to {stores[0]}"})
