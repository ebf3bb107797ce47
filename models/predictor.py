"""The one predictor interface that the CLI, the API and the batch jobs call."""
from __future__ import annotations

import gc
import importlib
import os
from pathlib import Path
from typing import Protocol, Sequence

import joblib

from models.artifact import ArtifactError, read_manifest
from models.lexicon import Lexicon
from models.prepare import Preprocessor
from models.scores import ModelScores, to_results

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
DEFAULT_MODEL_NAME = "buyintent-ensemble"  # when no DEFAULT pointer exists
# models/artifacts/DEFAULT names the folder `buyintent choose-default` picked by evidence.
DEFAULT_POINTER = "DEFAULT"
LINEAR_BINARY = "linear.joblib"
# kind -> "module:class"; imported on demand so a linear model never imports torch.
KINDS = {
    "linear": "models.predictor:LinearPredictor",
    "transformer": "models.transformer_predictor:TransformerPredictor",
    "ensemble": "models.ensemble:EnsemblePredictor",
}


def freeze_loaded_objects() -> None:
    """Exclude every object alive now (a just-loaded model: ~300k long-lived objects) from
    later garbage collections: a full collection walking them stalled every in-flight
    request ~170 ms (measured in the API)."""
    gc.collect()
    gc.freeze()


def default_model_dir() -> Path:
    """BUYINTENT_MODEL if set, else the shipped model that models/artifacts/DEFAULT names."""
    if os.environ.get("BUYINTENT_MODEL"):
        return Path(os.environ["BUYINTENT_MODEL"])
    pointer = ARTIFACTS_DIR / DEFAULT_POINTER
    name = pointer.read_text().strip() if pointer.is_file() else DEFAULT_MODEL_NAME
    return ARTIFACTS_DIR / name


class Predictor(Protocol):
    name: str
    version: str

    def predict(self, texts: Sequence[str], notes: Sequence[str | None] | None = None) -> list[dict]:
        """One result per text, in order, with the fields `buyintent score` writes (less id)."""


class LinearPredictor:
    """Scores comments with a saved linear model folder."""

    def __init__(self, folder: str | Path, checked: tuple[dict, Lexicon] | None = None):
        self.folder = Path(folder)
        # `checked`: the (manifest, lexicon) load_predictor already read and verified.
        self.manifest, self.lexicon = checked or read_manifest(self.folder)
        if self.manifest["kind"] != "linear":
            raise ArtifactError(f"{folder}: kind {self.manifest['kind']!r} is not 'linear'")
        try:
            self.model = joblib.load(self.folder / LINEAR_BINARY)
        except Exception as exc:  # a truncated or foreign pickle: report it as a bad folder
            raise ArtifactError(f"{self.folder / LINEAR_BINARY}: cannot load ({exc})") from exc
        self.name = self.manifest["name"]
        self.version = self.manifest["version"]
        self.preprocessor = Preprocessor(self.lexicon)
        self.model.featurizer.counters()  # now, not in the first request

    @property
    def model_info(self) -> dict:
        return {"name": self.name, "version": self.version}

    @property
    def diversion_threshold(self) -> float:
        return self.model.diversion_threshold

    def scores(self, texts: Sequence[str], notes: Sequence[str | None] | None = None, *,
               mentions: bool = True) -> ModelScores:
        items = self.preprocessor.prepare_many(list(texts), list(notes) if notes is not None else None)
        return self.model.score(items, self.lexicon, mentions=mentions)

    def predict(self, texts: Sequence[str], notes: Sequence[str | None] | None = None) -> list[dict]:
        if not texts:
            return []
        return to_results(self.scores(texts, notes), self.diversion_threshold, self.model_info)


def load_predictor(folder: str | Path | None = None, **options) -> Predictor:
    """Load the model in `folder` (default: default_model_dir()), whatever its kind.

    Raises:
        ArtifactError: the folder is missing, corrupt or incompatible.
    """
    folder = Path(folder) if folder is not None else default_model_dir()
    checked = read_manifest(folder)
    kind = checked[0]["kind"]
    if kind not in KINDS:
        raise ArtifactError(f"{folder}: unknown model kind {kind!r}; known: {sorted(KINDS)}")
    module, cls = KINDS[kind].split(":")
    return getattr(importlib.import_module(module), cls)(folder, checked, **options)
