"""The ensemble kind: linear and transformer probabilities mixed with weights fitted on validation.

The two members err differently (sparse n-grams see exact phrasings and detector flags;
the encoder sees context and unseen spellings), so a weighted average of their
calibrated probabilities beats either. A folder holds both members as complete model
folders (`linear/`, `transformer/`, each loadable alone) and ensemble.json with the
weights, the diversion threshold and which member supplies mentions.

Scoring is a cascade that never changes a decision: the linear member runs first, and
the transformer runs only on comments whose intent argmax or diversion flag its
probabilities could still flip given the mixing weights (`undecided`). How many depends
on the weights: 5% of the build's validation split with 1.3.0's (a fifth with 1.2.0's),
so the ensemble costs little more than the linear model. The skipped comments report the
linear member's probabilities re-tempered, in place of the mix.

The cascade also comes as two steps (`predict_steps`) for the server's micro-batcher: the
linear step is Python (holds the GIL), the transformer step is ONNX Runtime (releases
it), so one batch's transformer step runs while the next batch's linear step does.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple, Sequence

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


def undecided(linear: ModelScores, weights: dict) -> np.ndarray:
    """Comments whose ensemble intent or diversion flag the transformer could still change.

    With transformer weight w, the mixed top class keeps its lead whatever the transformer
    says once (1-w)·p_top > (1-w)·p_second + w (the transformer putting all its mass on the
    runner-up is the worst case), i.e. p_top - p_second > w / (1-w). The diversion
    flag is fixed once the linear score alone puts the mix below or above the threshold t
    for any transformer score in [0, 1]: (1-wd)·d + wd < t, or (1-wd)·d >= t.
    """
    n = len(linear.intent_probs)
    w, wd = float(weights["intent_transformer_weight"]), float(weights["diversion_transformer_weight"])
    if w >= 0.5 or wd >= 1.0 or weights["mentions_from"] != "linear":
        return np.ones(n, dtype=bool)
    top2 = np.sort(linear.intent_probs, axis=1)[:, -2:]
    intent_fixed = top2[:, 1] - top2[:, 0] > w / (1.0 - w)
    t, d = float(weights["diversion_threshold"]), linear.diversion_scores
    diversion_fixed = ((1 - wd) * d + wd < t) | ((1 - wd) * d >= t)
    return ~(intent_fixed & diversion_fixed)


class LinearStep(NamedTuple):
    """What the cascade's first (linear) step hands to its second (transformer) step."""

    texts: Sequence[str]
    notes: Sequence[str | None] | None
    linear: ModelScores
    undecided: np.ndarray  # bool per comment: the transformer could still change its decision
    transformer_mentions: bool  # whether the transformer must also tag mentions


class EnsemblePredictor:
    def __init__(self, folder: str | Path, checked: tuple[dict, Lexicon] | None = None, *,
                 cascade: bool = True, **options):
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
        self.cascade = cascade

    @property
    def model_info(self) -> dict:
        return {"name": self.name, "version": self.version}

    @property
    def diversion_threshold(self) -> float:
        return float(self.weights["diversion_threshold"])

    def scores(self, texts: Sequence[str], notes: Sequence[str | None] | None = None, *,
               mentions: bool = True) -> ModelScores:
        return self._transformer_step(self._linear_step(texts, notes, mentions=mentions))

    def _linear_step(self, texts: Sequence[str], notes: Sequence[str | None] | None, *,
                     mentions: bool) -> LinearStep:
        source = self.weights["mentions_from"]
        lin = self.linear.scores(texts, notes, mentions=mentions and source in ("linear", "union"))
        todo = undecided(lin, self.weights) if self.cascade else np.ones(len(texts), dtype=bool)
        return LinearStep(texts, notes, lin, todo, mentions and source in ("transformer", "union"))

    def _transformer_step(self, step: LinearStep) -> ModelScores:
        texts, notes, lin, todo, tra_mentions = step
        if todo.all():
            return mix(lin, self.transformer.scores(texts, notes, mentions=tra_mentions), self.weights)
        # Decided comments stand in the linear scores for the transformer's: same decisions.
        # (`undecided` skips nothing unless mentions come from the linear member alone.)
        probs, div = lin.intent_probs.copy(), lin.diversion_scores.copy()
        idx = np.flatnonzero(todo)
        if len(idx):
            notes = notes if notes is not None else [None] * len(texts)
            tra = self.transformer.scores([texts[i] for i in idx], [notes[i] for i in idx], mentions=False)
            probs[idx], div[idx] = tra.intent_probs, tra.diversion_scores
        return mix(lin, ModelScores(probs, div, [[] for _ in texts]), self.weights)

    def predict_steps(self):
        """`predict` as (first, second): second(first(texts, notes)) == predict(texts, notes)."""
        def first(texts: Sequence[str], notes: Sequence[str | None] | None = None) -> LinearStep:
            return self._linear_step(texts, notes, mentions=True)

        def second(step: LinearStep) -> list[dict]:
            return to_results(self._transformer_step(step), self.diversion_threshold, self.model_info)

        return first, second

    def predict(self, texts: Sequence[str], notes: Sequence[str | None] | None = None) -> list[dict]:
        if not texts:
            return []
        return to_results(self.scores(texts, notes), self.diversion_threshold, self.model_info)
