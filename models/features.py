"""Sparse features of the linear classifiers: character n-grams, jieba words, detector flags.

Two extra views fix what a length-normalized bag of n-grams gets wrong in long comments,
where the intent is one phrase among many (a story that ends in 已下单): the last clause
on its own, and binary n-gram presence without length normalization.

The featurizer is fitted in training and saved inside the model, so serving computes
exactly the columns the classifier was trained on.
"""
from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer

from models.detectors import FLAG_NAMES
from models.ngram_counts import CharNgramCounter, Counts, WordNgramCounter
from models.negation import mark_negation
from models.prepare import Prepared


_CLAUSE_BREAK = re.compile(r"[，,。.!！?？~～;；\s]+")
_EDGE = "，,。.!！?？~～;； "


def _identity(x):
    return x


def sublinear_tfidf(counts: Counts, idf: np.ndarray, n_rows: int) -> np.ndarray:
    """(1 + log tf) * idf with rows L2-normalized (TfidfTransformer(sublinear_tf=True)), as
    float32 values aligned with `counts`. Computed in float64 and summed in column order,
    exactly as sklearn does, so the values are bit for bit sklearn's."""
    x = (1.0 + np.log(counts.counts)) * idf[counts.cols]
    norms = np.sqrt(np.bincount(counts.rows, weights=x ** 2, minlength=n_rows))
    norms[norms == 0] = 1.0
    return (x / norms[counts.rows]).astype(np.float32)


def last_clause(text: str, max_chars: int) -> str:
    """The final clause of a comment (where intent usually sits), at most max_chars long."""
    return _CLAUSE_BREAK.split(text.strip(_EDGE))[-1][-max_chars:]


class CommentFeaturizer:
    """char n-grams + word n-grams (TF-IDF, sublinear) + last-clause n-grams + n-gram presence + flags."""

    def __init__(self, *, char_ngrams=(1, 3), word_ngrams=(1, 2), min_df=2,
                 max_char_features=200_000, max_word_features=100_000, flag_weight=1.0,
                 tail_weight=0.5, tail_chars=20, presence_weight=0.1):
        # One pass of character n-gram counting feeds two views: TF-IDF (sublinear, length-
        # normalized) and plain presence (not diluted by the length of the comment).
        self.char = CountVectorizer(analyzer="char", ngram_range=tuple(char_ngrams), min_df=min_df,
                                    max_features=max_char_features, lowercase=False, dtype=np.float32)
        self.char_tfidf = TfidfTransformer(sublinear_tf=True)
        # Words arrive already segmented; the vectorizer must not re-tokenize them.
        self.word = TfidfVectorizer(analyzer="word", tokenizer=_identity, preprocessor=_identity,
                                    token_pattern=None, ngram_range=tuple(word_ngrams), min_df=min_df,
                                    sublinear_tf=True, max_features=max_word_features,
                                    lowercase=False, dtype=np.float32)
        self.tail = TfidfVectorizer(analyzer="char", ngram_range=tuple(char_ngrams), min_df=min_df,
                                    sublinear_tf=True, max_features=max_char_features // 2,
                                    lowercase=False, dtype=np.float32)
        self.flag_weight = flag_weight
        self.tail_weight = tail_weight
        self.tail_chars = tail_chars
        self.presence_weight = presence_weight

    @staticmethod
    def _chars(items: list[Prepared]) -> list[str]:
        # Sentence edges matter (a bare 蹲 vs 蹲 inside a sentence): mark them.
        return [f"^{p.text}$" for p in items]

    def _tails(self, items: list[Prepared]) -> list[str]:
        return [f"^{last_clause(p.text, self.tail_chars)}" for p in items]

    @staticmethod
    def _words(items: list[Prepared]) -> list[list[str]]:
        return [mark_negation([w for w, _, _ in p.words]) for p in items]

    def fit(self, items: list[Prepared]) -> "CommentFeaturizer":
        self.char_tfidf.fit(self.char.fit_transform(self._chars(items)))
        self.word.fit(self._words(items))
        self.tail.fit(self._tails(items))
        self.__dict__.pop("_counters", None)
        return self

    def counters(self) -> tuple[CharNgramCounter, WordNgramCounter, CharNgramCounter]:
        # Built from the fitted vocabularies once (~0.3 s; LinearPredictor does it at load),
        # never pickled: a saved model holds only what sklearn fitted.
        counters = self.__dict__.get("_counters")
        if counters is None:
            counters = self._counters = (
                CharNgramCounter(self.char.vocabulary_, self.char.ngram_range),
                WordNgramCounter(self.word.vocabulary_, self.word.ngram_range),
                CharNgramCounter(self.tail.vocabulary_, self.tail.ngram_range))
        return counters

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_counters"}

    def transform(self, items: list[Prepared]) -> sp.csr_matrix:
        """Columns: char TF-IDF | word TF-IDF | tail TF-IDF x tail_weight | char presence | flags."""
        n = len(items)
        char, word, tail = self.counters()
        chars, words, tails = char.count(self._chars(items)), word.count(self._words(items)), tail.count(self._tails(items))
        flag_rows, flag_cols = np.nonzero(np.array([[p.flags[f] for f in FLAG_NAMES] for p in items], dtype=bool))
        blocks = [  # (counts' rows and columns, values, first column of the block), in column order
            (chars, sublinear_tfidf(chars, self.char_tfidf.idf_, n), 0),
            (words, sublinear_tfidf(words, self.word.idf_, n), char.n_features),
            (tails, sublinear_tfidf(tails, self.tail.idf_, n) * self.tail_weight, char.n_features + word.n_features),
            (chars, np.full(len(chars.rows), self.presence_weight, dtype=np.float32),
             char.n_features + word.n_features + tail.n_features),
            (Counts(flag_rows, flag_cols, None), np.full(len(flag_rows), self.flag_weight, dtype=np.float32),
             2 * char.n_features + word.n_features + tail.n_features),
        ]
        rows = np.concatenate([c.rows for c, _, _ in blocks])
        # A stable sort by row keeps each row's blocks in column order: the layout (and so
        # the summation order of X @ coef) of sklearn's hstack of the five blocks.
        order = np.argsort(rows, kind="stable")
        cols = np.concatenate([c.cols + offset for c, _, offset in blocks])[order]
        values = np.concatenate([v for _, v, _ in blocks])[order]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return sp.csr_matrix((values, cols.astype(np.int32), indptr.astype(np.int32)),
                             shape=(n, 2 * char.n_features + word.n_features + tail.n_features + len(FLAG_NAMES)))

    def fit_transform(self, items: list[Prepared]) -> sp.csr_matrix:
        return self.fit(items).transform(items)


def sklearn_transform(f: CommentFeaturizer, items) -> sp.csr_matrix:
    """The same matrix computed with sklearn's transforms, as before models/ngram_counts.py:
    the reference the numpy path must equal (tests/test_features.py) and the baseline of
    `python -m serving.bench_features`."""
    def tfidf(counts, idf):  # TfidfTransformer(sublinear_tf=True) without its per-call checks
        x = counts.astype(np.float64)
        x.data = (1.0 + np.log(x.data)) * idf[x.indices]
        rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
        squares = np.zeros(x.shape[0])
        np.add.at(squares, rows, x.data ** 2)
        norms = np.sqrt(squares)
        norms[norms == 0] = 1.0
        x.data /= norms[rows]
        return x.astype(np.float32)

    counts = f.char.transform(f._chars(items))
    presence = counts.copy()
    presence.data[:] = f.presence_weight
    words = CountVectorizer.transform(f.word, f._words(items))
    tails = CountVectorizer.transform(f.tail, f._tails(items))
    flags = np.array([[p.flags[n] for n in FLAG_NAMES] for p in items], dtype=np.float32)
    return sp.hstack([tfidf(counts, f.char_tfidf.idf_), tfidf(words, f.word.idf_),
                      tfidf(tails, f.tail.idf_) * f.tail_weight, presence, sp.csr_matrix(flags * f.flag_weight)],
                     format="csr")
