"""What every model kind computes for a batch, and the one place it becomes API results."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.labels import BUYING_INTENTS, INTENTS
from models.mentions import Mention


@dataclass
class ModelScores:
    intent_probs: np.ndarray  # (n, 6), rows sum to 1, columns in INTENTS order
    diversion_scores: np.ndarray  # (n,)
    mentions: list[list[Mention]]


def to_results(scores: ModelScores, diversion_threshold: float, info: dict) -> list[dict]:
    """The fields `buyintent score` writes (less id), one dict per comment, in order."""
    results = []
    for probs, div, mentions in zip(scores.intent_probs, scores.diversion_scores, scores.mentions):
        intent_scores = {label: float(p) for label, p in zip(INTENTS, probs)}
        results.append({
            "intent": INTENTS[int(np.argmax(probs))],
            "intent_scores": intent_scores,
            "purchase_intent": sum(intent_scores[k] for k in INTENTS if k in BUYING_INTENTS),
            "diversion": bool(div >= diversion_threshold),
            "diversion_score": float(div),
            "mentions": [m.to_dict() for m in mentions],
            "model": info,
        })
    return results
