"""Counts of a fitted vocabulary's n-grams in a batch of comments, computed with numpy.

sklearn's CountVectorizer.transform looks up every n-gram of every comment in a Python
dict (~0.1 ms per comment for the featurizer's three views), a cost that batching does
not shrink. Here a batch's character n-grams become one int64 array (a code point takes
21 bits, so n-grams up to 3 characters pack into one integer) looked up in the
vocabulary's sorted codes with one searchsorted. Word n-grams keep a dict lookup per
n-gram but skip sklearn's per-call machinery.

The counts equal CountVectorizer.transform's for the same fitted vocabulary
(tests/test_features.py checks every hand-written comment), so models trained before
keep their exact scores.
"""
from __future__ import annotations

import re
from typing import NamedTuple, Sequence

import numpy as np

_BITS = 21  # the largest code point, 0x10FFFF, plus one fits in 21 bits
MAX_CHAR_N = 3  # 3 x 21 bits fit an int64
# sklearn's char analyzer first collapses every run of two or more whitespace characters.
_WHITE_SPACES = re.compile(r"\s\s+")


class Counts(NamedTuple):
    """A sparse count matrix as parallel arrays, ordered by row, then column."""

    rows: np.ndarray  # int64
    cols: np.ndarray  # int64
    counts: np.ndarray  # float64


def _code_points(text: str) -> np.ndarray:
    # Plus one, so that a shorter n-gram (higher slots zero) never equals a longer one.
    # surrogatepass: a lone surrogate (valid in a Python str, possible from JSON) is one unit.
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64) + 1


def _pack_string(gram: str) -> int:
    return sum((ord(c) + 1) << (_BITS * k) for k, c in enumerate(gram))


def _aggregate(rows: np.ndarray, cols: np.ndarray, n_cols: int) -> Counts:
    keys, counts = np.unique(rows * n_cols + cols, return_counts=True)
    return Counts(keys // n_cols, keys % n_cols, counts.astype(np.float64))


class CharNgramCounter:
    """CountVectorizer(analyzer="char", lowercase=False).transform for a fitted vocabulary."""

    def __init__(self, vocabulary: dict[str, int], ngram_range: tuple[int, int]):
        self.min_n, self.max_n = ngram_range
        if not 1 <= self.min_n <= self.max_n <= MAX_CHAR_N:
            raise ValueError(f"character n-grams must lie within (1, {MAX_CHAR_N}), got {ngram_range}")
        self.n_features = len(vocabulary)
        codes = np.fromiter((_pack_string(g) for g in vocabulary), dtype=np.int64, count=len(vocabulary))
        columns = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(vocabulary))
        order = np.argsort(codes)
        self._codes, self._columns = codes[order], columns[order]

    def count(self, docs: Sequence[str]) -> Counts:
        texts = [_WHITE_SPACES.sub(" ", d) for d in docs]
        cps = _code_points("".join(texts))
        doc = np.repeat(np.arange(len(texts)), [len(t) for t in texts])
        rows, cols = [], []
        for n in range(self.min_n, self.max_n + 1):
            starts = len(cps) - n + 1
            if starts <= 0:
                break
            codes = cps[:starts].copy()
            for k in range(1, n):
                codes |= cps[k:starts + k] << (_BITS * k)
            inside = doc[:starts] == doc[n - 1:]  # the n-gram does not cross into the next comment
            codes, owner = codes[inside], doc[:starts][inside]
            pos = np.minimum(np.searchsorted(self._codes, codes), len(self._codes) - 1)
            known = self._codes[pos] == codes
            rows.append(owner[known])
            cols.append(self._columns[pos[known]])
        if not rows:
            empty = np.zeros(0, dtype=np.int64)
            return Counts(empty, empty, np.zeros(0))
        return _aggregate(np.concatenate(rows), np.concatenate(cols), self.n_features)


class WordNgramCounter:
    """CountVectorizer(analyzer="word") over pre-tokenized comments, for a fitted vocabulary."""

    def __init__(self, vocabulary: dict[str, int], ngram_range: tuple[int, int]):
        self.min_n, self.max_n = ngram_range
        self.vocabulary = vocabulary
        self.n_features = len(vocabulary)

    def _grams(self, tokens: list[str]):
        for n in range(self.min_n, self.max_n + 1):
            if n == 1:
                yield from tokens
            else:
                # sklearn joins the words of a word n-gram with one space.
                yield from (" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))

    def count(self, docs: Sequence[list[str]]) -> Counts:
        get = self.vocabulary.get
        rows, cols = [], []
        for r, tokens in enumerate(docs):
            found = [c for c in map(get, self._grams(tokens)) if c is not None]
            cols.extend(found)
            rows.extend([r] * len(found))
        return _aggregate(np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), self.n_features)
