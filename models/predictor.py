"""The one predictor interface that the CLI, the API and the batch jobs call."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol, Sequence

import joblib

from models.artifact import ArtifactError, read_manifest
from models.labels import BUYING_INTENTS, INTENTS
from models.lexicon import Lexicon
from models.prepare import Preprocessor

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
DEFAULT_MODEL_NAME = "buyintent-linear"
LINEAR_BINARY = "linear.joblib"


def default_model_dir() -> Path:
    """BUYINTENT_MODEL if set, else the model shipped under models/artifacts/."""
    return Path(os.environ.get("BUYINTENT_MODEL") or ARTIFACTS_DIR / DEFAULT_MODEL_NAME)


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

    @property
    def model_info(self) -> dict:
        return {"name": self.name, "version": self.version}

    def predict(self, texts: Sequence[str], notes: Sequence[str | None] | None = None) -> list[dict]:
        if not texts:
            return []
        items = self.preprocessor.prepare_many(list(texts), list(notes) if notes is not None else None)
        scores = self.model.score(items, self.lexicon)
        threshold = self.model.diversion_threshold
        info = self.model_info
        results = []
        for probs, div, mentions in zip(scores.intent_probs, scores.diversion_scores, scores.mentions):
            intent_scores = {label: float(p) for label, p in zip(INTENTS, probs)}
            results.append({
                "intent": INTENTS[int(probs.argmax())],
                "intent_scores": intent_scores,
                "purchase_intent": sum(intent_scores[k] for k in INTENTS if k in BUYING_INTENTS),
                "diversion": bool(div >= threshold),
                "diversion_score": float(div),
                "mentions": [m.to_dict() for m in mentions],
                "model": info,
            })
        return results


def load_predictor(folder: str | Path | None = None) -> LinearPredictor:
    """Load the model in `folder` (default: default_model_dir()).

    Raises:
        ArtifactError: the folder is missing, corrupt or incompatible.
    """
    folder = Path(folder) if folder is not None else default_model_dir()
    checked = read_manifest(folder)
    kinds = {"linear": LinearPredictor}
    kind = checked[0]["kind"]
    if kind not in kinds:
        raise ArtifactError(f"{folder}: unknown model kind {kind!r}")
    return kinds[kind](folder, checked)
