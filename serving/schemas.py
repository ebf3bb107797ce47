"""Request and response bodies of the HTTP API, named by role."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, examples=["c1"])
    text: str = Field(examples=["求链接！！这个色号太好看了"])
    note: str | None = Field(None, examples=["秋冬显白口红合集"])

    @field_validator("text")
    @classmethod
    def text_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value


class ScoreRequest(BaseModel):
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


class ErrorBody(BaseModel):
    error: str
    error_type: str
