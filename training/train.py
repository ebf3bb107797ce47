"""`buyintent train`: the config's `kind` picks the schema and the trainer."""
from __future__ import annotations

from pathlib import Path

import yaml

from training.config import ConfigError, EnsembleConfig, TrainConfig, TransformerTrainConfig, load_config

SCHEMAS = {"linear": TrainConfig, "transformer": TransformerTrainConfig, "ensemble": EnsembleConfig}


def config_kind(path: Path) -> str:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    kind = raw.get("kind", "linear") if isinstance(raw, dict) else None
    if kind not in SCHEMAS:
        raise ConfigError(f"{path}: kind: {kind!r} is not one of {sorted(SCHEMAS)}")
    return kind


def train_from_config(path: Path, overrides: list[str] | None = None) -> tuple[Path, dict]:
    """Validate the config, train, save; returns the output folder and its validation metrics."""
    kind = config_kind(path)
    cfg = load_config(path, SCHEMAS[kind], overrides)
    if kind == "linear":
        from training.train_linear import train_linear as run
    elif kind == "transformer":
        from training.train_transformer import train_transformer as run
    else:
        from training.train_ensemble import train_ensemble as run
    return cfg.output_dir, run(cfg)
