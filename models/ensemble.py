"""The ensemble kind: linear and transformer probabilities mixed with weights fitted on validation.

The two members err differently (sparse n-grams see exact phrasings and detector flags;
the encoder sees context and unseen spellings), so a weighted average of their
calibrated probabilities beats either. A folder holds both members as complete model
folders (`linear/`, `transformer/`, each loadable alone) and ensemble.json with the
weights, the diversion threshold and which member supplies mentions.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from models.artifact import ArtifactError, read_manifest
from models.lexicon import Lexicon
from models.scores import ModelScores, to_results

ENSEMBLE_FILE = "ensemble.json"
MEMBERS = ("linear", "transformer")


def mix(linear: ModelScores, transformer: ModelScores, weights: dict) -> ModelScores:
    """Weighted intent probabilities (re-tempered) and diversion scores; mentions from one member."""
    w = float(weights["intent_transformer_weight"])
    probs = (1 - w) * linear.intent_probs + w * transformer.intent_probs
    t = float(weights.get("temperature", 1.0))
    if t != 1.0:
        logp = np.log(np.clip(probs, 1e-12, 1.0)) / t
        probs = np.exp(logp - logp.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
    wd = float(weights["diversion_transformer_weight"])
    div = (1 - wd) * linear.diversion_scores + wd * transformer.diversion_scores
    source = weights["mentions_from"]
    if source == "union":
        mentions = [union_mentions(a, b) for a, b in zip(linear.mentions, transformer.mentions)]
    else:
        mentions = transformer.mentions if source == "transformer" else linear.mentions
    return ModelScores(probs, div, mentions)


def union_mentions(first: list, second: list) -> list:
    """`first`'s mentions plus those of `second` that overlap none of them, in text order."""
    taken = [(m.start, m.end) for m in first]
    extra = [m for m in second if all(m.end <= s or m.start >= e for s, e in taken)]
    seen, out = set(), []
    for m in sorted(first + extra, key=lambda m: m.start):
        if (m.text, m.type) not in seen:
            seen.add((m.text, m.type))
            out.append(m)
    return out


class EnsemblePredictor:
    def __init__(self, folder: str | Path, checked: tuple[dict, Lexicon] | None = None, **options):
        from models.predictor import load_predictor

        self.folder = Path(folder)
        self.manifest, self.lexicon = checked or read_manifest(self.folder)
        if self.manifest["kind"] != "ensemble":
            raise ArtifactError(f"{folder}: kind {self.manifest['kind']!r} is not 'ensemble'")
        try:
            self.weights = json.loads((self.folder / ENSEMBLE_FILE).read_text())
        except (OSError, ValueError) as exc:
            raise ArtifactError(f"{self.folder / ENSEMBLE_FILE}: unreadable ({exc})") from exc
        self.linear = load_predictor(self.folder / "linear")
        self.transformer = load_predictor(self.folder / "transformer", **options)
        self.name, self.version = self.manifest["name"], self.manifest["version"]

    @property
    def model_info(self) -> dict:
        return {"name": self.name, "version": self.version}

    @property
    def diversion_threshold(self) -> float:
        return float(self.weights["diversion_threshold"])

    def scores(self, texts: Sequence[str], notes: Sequence[str | None] | None = None, *,
               mentions: bool = True) -> ModelScores:
        source = self.weights["mentions_from"]
        lin = self.linear.scores(texts, notes, mentions=mentions and source in ("linear", "union"))
        tra = self.transformer.scores(texts, notes, mentions=mentions and source in ("transformer", "union"))
        return mix(lin, tra, self.weights)

    def predict(self, texts: Sequence[str], notes: Sequence[str | None] | None = None) -> list[dict]:
        if not texts:
            return []
        return to_results(self.scores(texts, notes), self.diversion_threshold, self.model_info)
