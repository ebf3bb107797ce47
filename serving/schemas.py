"""Request and response bodies of the HTTP API, named by role."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.labels import DOMAINS
from models.normalize import unpaired_surrogate


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _valid_unicode(cls, value):
        # A lone surrogate would pass a plain `str` field and fail later, in the model or
        # when the response is encoded: refuse it here, naming the field.
        for item in value if isinstance(value, list) else (value,):
            if isinstance(item, str) and (problem := unpaired_surrogate(item)):
                raise ValueError(problem)
        return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


class CommentIn(Strict):
    id: str = Field(min_length=1, max_length=200, examples=["c1"])
    text: str = Field(examples=["求链接！！这个色号太好看了"])
    note: str | None = Field(None, max_length=2000, examples=["秋冬显白口红合集"])

    _text = field_validator("text")(_not_blank)


class ScoreRequest(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"comments": [
        {"id": "c1", "text": "求链接！！", "note": "秋冬显白口红合集"},
        {"id": "c2", "text": "这个色号是多少呀"},
        {"id": "c3", "text": "需要的加V❤ abc123"}]}]})
    comments: list[CommentIn] = Field(min_length=1)


class Mention(BaseModel):
    text: str
    type: str
    start: int
    end: int


class ModelInfo(BaseModel):
    name: str
    version: str


class ScoredComment(BaseModel):
    id: str
    intent: str
    intent_scores: dict[str, float]
    purchase_intent: float
    diversion: bool
    diversion_score: float
    mentions: list[Mention]
    model: ModelInfo


class ScoreResponse(BaseModel):
    model: ModelInfo
    results: list[ScoredComment]


class NoteIn(Strict):
    id: str = Field(min_length=1, max_length=200, examples=["n1"])
    title: str = Field(min_length=1, max_length=500, examples=["秋冬显白口红｜黄皮亲妈"])
    body: str | None = Field(None, max_length=20000)
    domain: str = Field(examples=["beauty"], description=f"one of {', '.join(DOMAINS)}")
    brand: str | None = Field(None, max_length=200, examples=["花西子"])
    products: list[str] = Field(default_factory=list, max_length=50, examples=[["口红"]])
    ad_link_invited: bool = False
    stores: list[str] = Field(default_factory=list, max_length=10, examples=[["taobao", "jd"]])
    has_blue_link: bool = False
    has_ad_link: bool = False

    @field_validator("domain")
    @classmethod
    def known_domain(cls, value: str) -> str:
        if value not in DOMAINS:
            raise ValueError(f"must be one of {', '.join(DOMAINS)}")
        return value


class NoteCommentIn(Strict):
    id: str = Field(min_length=1, max_length=200)
    text: str
    likes: int = Field(0, ge=0)
    created_at: str | None = Field(None, max_length=64)

    _text = field_validator("text")(_not_blank)


class PlacementRequest(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "note": {"id": "n1", "title": "秋冬显白口红｜黄皮亲妈", "domain": "beauty", "brand": "花西子",
                 "products": ["口红"], "ad_link_invited": True, "stores": ["taobao"]},
        "comments": [{"id": "c1", "text": "求链接！！", "likes": 12}, {"id": "c2", "text": "色号是多少呀", "likes": 3},
                     {"id": "c3", "text": "需要的加V❤ abc123"}]}]})
    note: NoteIn
    comments: list[NoteCommentIn] = Field(min_length=1)


class Suggestion(BaseModel):
    kind: str
    score: float
    reason: str
    comment_id: str | None = None
    product: str | None = None
    store: str | None = None


class NotSuggested(BaseModel):
    kind: str
    reason: str


class Flagged(BaseModel):
    comment_id: str
    reasons: list[str]
    intent: str


class ProductDemand(BaseModel):
    product: str
    comments: int


class Demand(BaseModel):
    comments: int
    buying: int
    requests: int
    by_intent: dict[str, int]
    top_products: list[ProductDemand]


class PlacementResponse(BaseModel):
    model: ModelInfo
    note_id: str
    demand: Demand
    suggestions: list[Suggestion]
    not_suggested: list[NotSuggested]
    flagged: list[Flagged]


class ErrorBody(BaseModel):
    error: str
    error_type: str
