"""Shared fixtures: a tiny dataset and model built from tests/fixtures in a few seconds."""
from __future__ import annotations

from pathlib import Path

import pytest

from models.predictor import default_model_dir
from training.config import DataConfig, TrainConfig

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
# The shipped default: the folder models/artifacts/DEFAULT names (what `make serve` serves).
DEFAULT_MODEL = default_model_dir()


def fixture_data_config(output_dir: Path, **overrides) -> DataConfig:
    raw = {
        "seed": 1, "output_dir": output_dir,
        "sources": {"seed_dir": FIXTURES / "seed", "handwritten_dir": FIXTURES / "handwritten",
                    "lexicon_dir": FIXTURES / "lexicon", "phrasings": FIXTURES / "phrasings.yaml",
                    "corpora_dir": FIXTURES / "no-corpora", "dev_file": FIXTURES / "dev_overlap.jsonl"},
        "templates_per_intent": 40, "augment_copies": 3, "corpora": {"samples": {}},
        "validation_fraction": 0.2, "min_examples": 100,
    }
    raw.update(overrides)
    return DataConfig.model_validate(raw)


@pytest.fixture(scope="session")
def built_data(tmp_path_factory) -> tuple[Path, dict]:
    from training.build import build_dataset

    out = tmp_path_factory.mktemp("build")
    card = build_dataset(fixture_data_config(out), progress=False)
    return out, card


@pytest.fixture(scope="session")
def tiny_model(built_data, tmp_path_factory) -> Path:
    from training.train_linear import train_linear

    out = tmp_path_factory.mktemp("model") / "tiny"
    cfg = TrainConfig.model_validate({
        "name": "tiny", "version": "0.0.1", "data_dir": built_data[0], "output_dir": out,
        "lexicon_dir": FIXTURES / "lexicon", "features": {"min_df": 1}, "mentions": {"max_iterations": 50}})
    train_linear(cfg, progress=False)
    return out


@pytest.fixture(scope="session")
def tiny_predictor(tiny_model):
    from models.predictor import load_predictor

    return load_predictor(tiny_model)


@pytest.fixture(scope="session")
def default_predictor():
    from models.predictor import load_predictor

    if not (DEFAULT_MODEL / "manifest.json").exists():
        pytest.fail(f"the shipped default model is missing: {DEFAULT_MODEL} (run `make model`)")
    return load_predictor(DEFAULT_MODEL)


def needs_shared(*paths: str):
    missing = [p for p in paths if not (SHARED / p).exists()]
    return pytest.mark.skipif(bool(missing), reason=f"../shared lacks {missing}")
