"""Typed configs for data building and training, validated before any work starts.

Unknown keys are errors (a typo fails at load, not after an hour of training), and
`--set a.b=value` overrides are applied to the YAML before validation.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataSources(Strict):
    seed_dir: Path = Path("../shared/data/train_seed")
    handwritten_dir: Path = Path("data/handwritten")
    lexicon_dir: Path = Path("data/lexicons")
    phrasings: Path = Path("data/phrasings/phrasings.yaml")
    corpora_dir: Path = Path("../shared/corpora")
    # Read only to prove that no training text equals a dev text.
    dev_file: Path | None = Path("../shared/data/dev.jsonl")


class CorporaConfig(Strict):
    holdout_fraction: float = Field(0.1, ge=0.0, lt=1.0)
    max_chars: int = Field(160, gt=0)
    samples: dict[str, int] = Field(default_factory=lambda: {
        "online_shopping": 2500, "waimai": 1000, "hotel": 400, "jd_aircon": 700, "weibo": 2500})


class DataConfig(Strict):
    seed: int = 13
    output_dir: Path = Path("data/build")
    sources: DataSources = DataSources()
    templates_per_intent: int = Field(1200, ge=0)
    augment_copies: int = Field(2, ge=0)
    corpora: CorporaConfig = CorporaConfig()
    validation_fraction: float = Field(0.15, ge=0.0, lt=1.0)
    min_examples: int = 20000


class FeatureConfig(Strict):
    char_ngrams: tuple[int, int] = (1, 3)
    word_ngrams: tuple[int, int] = (1, 2)
    min_df: int = 2
    max_char_features: int = 200_000
    max_word_features: int = 100_000
    flag_weight: float = 1.0
    tail_weight: float = 0.5
    tail_chars: int = 20
    presence_weight: float = 0.1


class LinearConfig(Strict):
    # svm: LinearSVC (squared hinge) margins, softmax-calibrated by a fitted temperature;
    # logreg: multinomial logistic regression, also temperature-scaled.
    classifier: Literal["svm", "logreg"] = "svm"
    C: float = 1.0
    class_weight: Literal["balanced"] | None = None
    max_iter: int = 4000


class DiversionConfig(Strict):
    C: float = 4.0
    class_weight: Literal["balanced"] | None = "balanced"
    # Seller spam with no channel is not diversion (LABELING.md); most spam in the data has
    # one, so these examples weigh more or the model learns "spam vocabulary = diversion".
    hard_negative_weight: float = Field(3.0, ge=1.0)


class MentionConfig(Strict):
    c1: float = 0.05
    c2: float = 0.05
    max_iterations: int = 150


class TrainConfig(Strict):
    kind: Literal["linear"] = "linear"
    name: str = "buyintent-linear"
    version: str = "1.0.0"
    seed: int = 13
    data_dir: Path = Path("data/build")
    output_dir: Path = Path("models/artifacts/buyintent-linear")
    lexicon_dir: Path = Path("data/lexicons")
    # Weight of each source family in the loss: hand-labeled comments count most.
    source_weights: dict[str, float] = Field(default_factory=lambda: {
        "seed": 1.0, "handwritten": 1.0, "augment": 0.6, "template": 0.5, "corpus": 0.3})
    features: FeatureConfig = FeatureConfig()
    intent: LinearConfig = LinearConfig()
    diversion: DiversionConfig = DiversionConfig()
    mentions: MentionConfig = MentionConfig()


class ConfigError(ValueError):
    """A config file is missing, not YAML, or does not match its schema."""


def _apply_override(raw: dict, dotted: str) -> None:
    if "=" not in dotted:
        raise ConfigError(f"override {dotted!r}: expected key.path=value")
    key, value = dotted.split("=", 1)
    node = raw
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = yaml.safe_load(value)


def load_config(path: str | Path, schema: type[Strict], overrides: list[str] | None = None) -> Strict:
    """Read a YAML config, apply dotted overrides and validate it against `schema`."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    for override in overrides or []:
        _apply_override(raw, override)
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from exc
