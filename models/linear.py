"""The baseline model: calibrated linear classifiers over sparse features plus a mention CRF."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, softmax

from models.features import CommentFeaturizer
from models.mentions import MentionTagger
from models.scores import ModelScores
from models.prepare import Prepared
from models.detectors import apply_strong_diversion


def linear_decision(clf, X) -> np.ndarray:
    """`clf.decision_function(X)` for a fitted sklearn linear classifier, without its input
    validation: that costs ~0.35 ms per call whatever the batch size (a tenth of the
    server's linear step at 16 comments), and X is always our own featurizer's CSR matrix."""
    scores = X @ clf.coef_.T + clf.intercept_
    return scores.ravel() if scores.shape[1] == 1 else scores


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
        return linear_decision(self.intent_clf, X)

    def score(self, items: list[Prepared], lexicon, *, mentions: bool = True) -> ModelScores:
        X = self.featurizer.transform(items)
        probs = softmax(self.intent_logits(X) / self.temperature, axis=1)
        div = expit(linear_decision(self.diversion_clf, X))
        div = apply_strong_diversion(div, [p.detections for p in items])
        found = self.tagger.extract(items, lexicon) if mentions else [[] for _ in items]
        return ModelScores(probs, div, found)
