"""The featurizer's numpy n-gram counting equals sklearn's, bit for bit, so a model scores
exactly as it did when it was trained with sklearn's transform."""
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

from models.features import CommentFeaturizer, sklearn_transform
from models.lexicon import Lexicon
from models.ngram_counts import CharNgramCounter
from models.prepare import Preprocessor
from tests.conftest import FIXTURES
from training.synth import hand_written

EDGE_CASES = ["a", "\u200b", "  两个  空格\t\t和制表 ", "😀😀😀 ok", "求链接\udc00", "A", "^$", "x" * 300]


@pytest.fixture(scope="module")
def fitted():
    texts = [r["text"] for r in hand_written()]
    prep = Preprocessor(Lexicon.load(FIXTURES / "lexicon"))
    featurizer = CommentFeaturizer(min_df=2).fit(prep.prepare_many(texts[::4]))
    return featurizer, prep.prepare_many(texts[1::6] + EDGE_CASES)


@pytest.mark.parametrize("batch", [1, 16, 256])
def test_transform_equals_sklearn_bit_for_bit(fitted, batch):
    featurizer, items = fitted
    for i in range(0, len(items), batch):
        ours, ref = featurizer.transform(items[i:i + batch]), sklearn_transform(featurizer, items[i:i + batch])
        assert ours.shape == ref.shape and ours.dtype == ref.dtype == np.float32
        assert np.array_equal(ours.indptr, ref.indptr) and np.array_equal(ours.indices, ref.indices)
        assert np.array_equal(ours.data, ref.data), f"values differ in batch {i}"


def test_counters_are_rebuilt_after_a_pickle_round_trip(fitted):
    featurizer, items = fitted
    before = featurizer.transform(items[:8])
    restored = pickle.loads(pickle.dumps(featurizer))
    assert "_counters" not in restored.__dict__  # never saved inside a model file
    assert (restored.transform(items[:8]) != before).nnz == 0


def test_character_ngrams_never_span_two_comments():
    counter = CharNgramCounter({"ab": 0, "a": 1, "b": 2}, (1, 2))
    rows, cols, counts = counter.count(["a", "b", "ab"])
    assert list(zip(rows, cols, counts)) == [(0, 1, 1.0), (1, 2, 1.0), (2, 0, 1.0), (2, 1, 1.0), (2, 2, 1.0)]


def test_longer_character_ngrams_are_refused():
    with pytest.raises(ValueError, match=r"within \(1, 3\)"):
        CharNgramCounter({"abcd": 0}, (1, 4))


def test_character_counts_equal_count_vectorizer_on_raw_text():
    # Raw strings, not normalized comments: runs of whitespace, which sklearn collapses first.
    docs = ["a  b\t\tc", "  前后  ", "求链接求链接", "😀 😀", "", "x"]
    vectorizer = CountVectorizer(analyzer="char", ngram_range=(1, 3), lowercase=False).fit(docs[:3] + ["ab c"])
    rows, cols, counts = CharNgramCounter(vectorizer.vocabulary_, (1, 3)).count(docs)
    ours = sp.csr_matrix((counts, (rows, cols)), shape=(len(docs), len(vectorizer.vocabulary_)))
    assert (ours != vectorizer.transform(docs)).nnz == 0
