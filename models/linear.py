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

    def score(self, items: list[Prepared], lexicon, *, mentions: bool = True) -> ModelScores:
        X = self.featurizer.transform(items)
        probs = softmax(self.intent_logits(X) / self.temperature, axis=1)
        div = expit(self.diversion_clf.decision_function(X))
        div = apply_strong_diversion(div, [p.detections for p in items])
        found = self.tagger.extract(items, lexicon) if mentions else [[] for _ in items]
        return ModelScores(probs, div, found)
