"""Typed configs for data building and training, validated before any work starts.

Unknown keys are errors (a typo fails at load, not after an hour of training), and
`--set a.b=value` overrides are applied to the YAML before validation.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

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


class ModelTraining(Strict):
    """What every trained kind shares: identity, seed, data and the per-source loss weights."""

    version: str = "1.0.0"
    seed: int = 13
    data_dir: Path = Path("data/build")
    lexicon_dir: Path = Path("data/lexicons")
    # Weight of each source family in the loss: hand-labeled comments count most.
    source_weights: dict[str, float] = Field(default_factory=lambda: {
        "seed": 1.0, "handwritten": 1.0, "augment": 0.6, "template": 0.5, "corpus": 0.3})


class TrainConfig(ModelTraining):
    kind: Literal["linear"] = "linear"
    name: str = "buyintent-linear"
    output_dir: Path = Path("runs/linear")
    features: FeatureConfig = FeatureConfig()
    intent: LinearConfig = LinearConfig()
    diversion: DiversionConfig = DiversionConfig()
    mentions: MentionConfig = MentionConfig()


class EncoderShape(Strict):
    """Size of a BERT-style encoder built from scratch (ignored for a pretrained checkpoint)."""

    hidden_size: int = Field(256, gt=0)
    num_hidden_layers: int = Field(4, gt=0)
    num_attention_heads: int = Field(4, gt=0)
    intermediate_size: int = Field(1024, gt=0)
    max_position_embeddings: int = Field(128, gt=8)
    dropout: float = Field(0.1, ge=0.0, lt=1.0)


class PretrainData(Strict):
    corpora_dir: Path = Path("../shared/corpora")
    corpora: list[str] = Field(default_factory=lambda: ["online_shopping", "waimai", "hotel", "jd_aircon", "weibo"])
    # The labeled build's training texts (never its validation split, never dev).
    build_train: Path | None = Path("data/build/train.jsonl")
    # Same slice the data build holds out for false-alarm evaluation: never pretrained on.
    false_alarm_holdout: float = Field(0.1, ge=0.0, lt=1.0)
    eval_fraction: float = Field(0.02, gt=0.0, lt=0.5)
    max_chars: int = Field(512, gt=0)
    # Only tokenized, to report the vocabulary's [UNK] rate on it; never trained on.
    unk_check_file: Path | None = Path("../shared/data/dev.jsonl")


class PretrainConfig(Strict):
    name: str = "buyintent-char-encoder"
    seed: int = 13
    output_dir: Path = Path("runs/pretrain")
    lexicon_dir: Path = Path("data/lexicons")
    data: PretrainData = PretrainData()
    encoder: EncoderShape = EncoderShape()
    vocab_min_count: int = Field(2, ge=1)
    vocab_max_size: int = Field(12000, ge=16)
    seq_len: int = Field(64, ge=8)
    batch_size: int = Field(64, ge=1)
    mask_prob: float = Field(0.15, gt=0.0, lt=1.0)
    whole_word_masking: bool = True
    learning_rate: float = Field(1e-3, gt=0.0)
    weight_decay: float = Field(0.01, ge=0.0)
    warmup_steps: int = Field(500, ge=0)
    max_steps: int = Field(20000, ge=1)
    checkpoint_every: int = Field(250, ge=1)
    eval_every: int = Field(500, ge=1)
    eval_batches: int = Field(20, ge=1)
    threads: int | None = None


class EncoderSource(Strict):
    # Any BERT-family checkpoint: a hub name (bert-base-chinese, hfl/rbt3, ...) or a local
    # folder, such as the offline encoder `buyintent pretrain` writes.
    name_or_path: str = "runs/pretrain/encoder"
    # random: the same architecture and tokenizer with freshly initialized weights (the
    # control that shows what pretraining is worth).
    init: Literal["pretrained", "random"] = "pretrained"
    dropout: float = Field(0.1, ge=0.0, lt=1.0)


class LossWeights(Strict):
    intent: float = Field(1.0, ge=0.0)
    diversion: float = Field(0.5, ge=0.0)
    tags: float = Field(0.5, ge=0.0)


class TransformerTrainConfig(ModelTraining):
    kind: Literal["transformer"] = "transformer"
    name: str = "buyintent-transformer"
    output_dir: Path = Path("runs/transformer")
    model: EncoderSource = EncoderSource()
    loss_weights: LossWeights = LossWeights()
    max_length: int = Field(96, ge=8)
    batch_size: int = Field(32, ge=1)
    learning_rate: float = Field(3e-4, gt=0.0)
    weight_decay: float = Field(0.01, ge=0.0)
    warmup_ratio: float = Field(0.06, ge=0.0, lt=1.0)
    epochs: int = Field(4, ge=1)
    # Early stopping: evaluate on the validation split every `eval_every` steps (0: once per
    # epoch) and stop after `patience` evaluations without a better intent macro-F1.
    eval_every: int = Field(0, ge=0)
    patience: int = Field(2, ge=1)
    max_train_examples: int | None = Field(None, ge=1)  # for smoke tests only
    threads: int | None = None
    onnx: bool = True                # export model.onnx and model.int8.onnx next to the weights
    keep_torch_weights: bool = True  # false: ship ONNX only (smaller folder)


class FixedWeights(Strict):
    intent_transformer_weight: float = Field(ge=0.0, le=1.0)
    temperature: float = Field(gt=0.0)
    diversion_transformer_weight: float = Field(ge=0.0, le=1.0)
    diversion_threshold: float = Field(ge=0.0, le=1.0)
    mentions_from: Literal["linear", "transformer", "union"] = "linear"


class EnsembleConfig(Strict):
    kind: Literal["ensemble"] = "ensemble"
    name: str = "buyintent-ensemble"
    version: str = "1.0.0"
    data_dir: Path = Path("data/build")
    output_dir: Path = Path("runs/ensemble")
    linear: Path = Path("runs/linear")
    transformer: Path = Path("runs/transformer")
    lexicon_dir: Path = Path("data/lexicons")
    # Copy only the int8 ONNX graph of the transformer member (no fp32 ONNX, no torch
    # weights): what serving runs, at a quarter of the size.
    slim: bool = True
    # Mixing weights to use as given instead of fitting them on validation. For a release
    # that retrains one member on a new build: the other member may have trained on part of
    # the new validation split, which would bias a refit towards it.
    weights: Optional[FixedWeights] = None


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
