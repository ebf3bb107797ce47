"""Sparse features of the linear classifiers: character n-grams, jieba words, detector flags.

The featurizer is fitted in training and saved inside the model, so serving computes
exactly the columns the classifier was trained on.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from models.detectors import FLAG_NAMES
from models.prepare import Prepared


def _identity(x):
    return x


class CommentFeaturizer:
    """char 1-3 grams + word 1-2 grams (TF-IDF, sublinear) + detector flags."""

    def __init__(self, *, char_ngrams=(1, 3), word_ngrams=(1, 2), min_df=2,
                 max_char_features=200_000, max_word_features=100_000, flag_weight=1.0):
        self.char = TfidfVectorizer(analyzer="char", ngram_range=tuple(char_ngrams), min_df=min_df,
                                    sublinear_tf=True, max_features=max_char_features,
                                    lowercase=False, dtype=np.float32)
        # Words arrive already segmented; the vectorizer must not re-tokenize them.
        self.word = TfidfVectorizer(analyzer="word", tokenizer=_identity, preprocessor=_identity,
                                    token_pattern=None, ngram_range=tuple(word_ngrams), min_df=min_df,
                                    sublinear_tf=True, max_features=max_word_features,
                                    lowercase=False, dtype=np.float32)
        self.flag_weight = flag_weight

    @staticmethod
    def _chars(items: list[Prepared]) -> list[str]:
        # Sentence edges matter (a bare 蹲 vs 蹲 inside a sentence): mark them.
        return [f"^{p.text}$" for p in items]

    @staticmethod
    def _words(items: list[Prepared]) -> list[list[str]]:
        return [[w for w, _, _ in p.words] for p in items]

    def _flags(self, items: list[Prepared]) -> sp.csr_matrix:
        dense = np.array([[p.flags[n] for n in FLAG_NAMES] for p in items], dtype=np.float32)
        return sp.csr_matrix(dense * self.flag_weight)

    def fit(self, items: list[Prepared]) -> "CommentFeaturizer":
        self.char.fit(self._chars(items))
        self.word.fit(self._words(items))
        return self

    def transform(self, items: list[Prepared]) -> sp.csr_matrix:
        return sp.hstack([self.char.transform(self._chars(items)),
                          self.word.transform(self._words(items)),
                          self._flags(items)], format="csr")

    def fit_transform(self, items: list[Prepared]) -> sp.csr_matrix:
        return self.fit(items).transform(items)
