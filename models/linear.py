"""The baseline model: calibrated linear classifiers over sparse features plus a mention CRF."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, softmax

from models.features import CommentFeaturizer
from models.mentions import Mention, MentionTagger
from models.prepare import Prepared
from models.detectors import strong_diversion

# A strong detector hit (phone, share code, contact id) is diversion by the guide's
# definition whatever the classifier says; this is the score it reports.
STRONG_DIVERSION_SCORE = 0.99


@dataclass
class LinearScores:
    intent_probs: np.ndarray  # (n, 6), rows sum to 1, columns in INTENTS order
    diversion_scores: np.ndarray  # (n,)
    mentions: list[list[Mention]]


@dataclass
class LinearModel:
    """Everything the linear kind needs to score prepared comments."""

    featurizer: CommentFeaturizer
    intent_clf: object  # fitted LogisticRegression, classes in INTENTS order
    temperature: float
    diversion_clf: object
    diversion_threshold: float
    tagger: MentionTagger

    def intent_logits(self, X) -> np.ndarray:
        return self.intent_clf.decision_function(X)

    def score(self, items: list[Prepared], lexicon) -> LinearScores:
        X = self.featurizer.transform(items)
        probs = softmax(self.intent_logits(X) / self.temperature, axis=1)
        div = expit(self.diversion_clf.decision_function(X))
        strong = np.array([strong_diversion(p.detections) for p in items], dtype=bool)
        div = np.where(strong, np.maximum(div, STRONG_DIVERSION_SCORE), div)
        return LinearScores(probs, div, self.tagger.extract(items, lexicon))
