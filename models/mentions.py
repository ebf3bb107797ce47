"""Product mentions: a CRF over jieba words with lexicon, pattern and note features.

The lexicon alone cannot know every brand (new and small brands appear daily), so a
sequence model learns the contexts mentions sit in (求X链接, X是什么色号, X的Y) and uses
lexicon membership and attribute patterns as strong features. Spans are reported as
verbatim slices of the original text, as LABELING.md requires.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from models.labels import MENTION_TYPES
from models.lexicon import PLATFORMS, Lexicon
from models.normalize import Normalized
from models.prepare import Prepared
from models.segment import ATTRIBUTE_PATTERN

# Stand-ins the guide says are never mentions.
NEVER_MENTIONS = frozenset({"这个", "这款", "那个", "那款", "它", "同款", "链接", "宝贝", "东西", "这件", "那件",
                            "这双", "这支", "这瓶", "这些", "博主", "姐妹", "产品", "好物"})


@dataclass(frozen=True, slots=True)
class Mention:
    text: str
    type: str
    start: int
    end: int

    def to_dict(self) -> dict:
        return {"text": self.text, "type": self.type, "start": self.start, "end": self.end}


def _shape(word: str) -> str:
    if word.isdigit():
        return "d"
    if word.isascii() and word.isalpha():
        return "a"
    if word.isascii() and word.isalnum():
        return "ad"
    if all("\u4e00" <= c <= "\u9fff" for c in word):
        return "c"
    if any(c.isalnum() for c in word):
        return "mix"
    return "p"


@lru_cache(maxsize=200_000)
def _word_features(word: str) -> tuple:
    """Features of a word that do not depend on its context, computed once per word."""
    return (_shape(word), min(len(word), 5), word[0], word[-1], bool(ATTRIBUTE_PATTERN.fullmatch(word)))


def token_features(item: Prepared, lexicon: Lexicon) -> list[dict[str, object]]:
    """CRF features of each word of a prepared comment."""
    words = [w for w, _, _ in item.words]
    lex = [lexicon.types.get(w, "-") for w in words]
    static = [_word_features(w) for w in words]
    note = item.note
    n = len(words)
    padded = ["<s>", "<s>", *words, "</s>", "</s>"]
    lex_padded = ["-", "-", *lex, "-", "-"]
    feats = []
    for i, w in enumerate(words):
        shape, length, first, last, attr = static[i]
        j = i + 2
        feats.append({
            "b": 1.0, "w": w, "lex": lex[i], "shape": shape, "len": length, "first": first, "last": last,
            "attr": attr, "note": bool(note) and length >= 2 and w in note,
            "w-2": padded[j - 2], "w-1": padded[j - 1], "w1": padded[j + 1], "w2": padded[j + 2],
            "lex-2": lex_padded[j - 2], "lex-1": lex_padded[j - 1], "lex1": lex_padded[j + 1],
            "lex2": lex_padded[j + 2],
            "shape-1": static[i - 1][0] if i > 0 else "<s>", "shape1": static[i + 1][0] if i + 1 < n else "</s>",
            "w-1|w": f"{padded[j - 1]}|{w}", "w|w+1": f"{w}|{padded[j + 1]}",
        })
    return feats


def spans_to_tags(item: Prepared, spans: list[tuple[int, int, str]]) -> list[str]:
    """BIO tags of the words of a comment, from mention spans on its normalized text."""
    tags = ["O"] * len(item.words)
    for start, end, mtype in spans:
        inside = [i for i, (_, s, e) in enumerate(item.words) if s < end and e > start]
        for k, i in enumerate(inside):
            if tags[i] == "O":
                tags[i] = ("B-" if k == 0 else "I-") + mtype
    return tags


def tags_to_mentions(item: Prepared, tags: list[str]) -> list[Mention]:
    """Decode BIO tags to verbatim mentions of the original text, each distinct once."""
    spans: list[tuple[int, int, str]] = []
    current: list | None = None
    for (_, s, e), tag in zip(item.words, tags):
        if tag.startswith("B-") or (tag.startswith("I-") and (current is None or current[2] != tag[2:])):
            if current:
                spans.append(tuple(current))
            current = [s, e, tag[2:]]
        elif tag.startswith("I-"):
            current[1] = e
        else:
            if current:
                spans.append(tuple(current))
            current = None
    if current:
        spans.append(tuple(current))
    return spans_to_mentions(item.norm, spans)


def spans_to_mentions(norm: Normalized, spans: list[tuple[int, int, str]]) -> list[Mention]:
    """Spans of the normalized text -> verbatim mentions of the original, each distinct once.

    Shared by every tagger (word CRF, character transformer): the filtering of generic
    words and platforms is one definition.
    """
    out: list[Mention] = []
    seen: set[tuple[str, str]] = set()
    for s, e, mtype in spans:
        start, end = norm.to_original(s, e)
        text = norm.original[start:end].strip()
        if not text:
            continue
        start = norm.original.index(text, start)
        key = (text, mtype)
        if mtype in MENTION_TYPES and key not in seen and text not in NEVER_MENTIONS and text not in PLATFORMS:
            seen.add(key)
            out.append(Mention(text, mtype, start, start + len(text)))
    return out


def gold_spans(norm: Normalized, mentions: list[dict]) -> list[tuple[int, int, str]]:
    """Locate labeled mentions (verbatim text) on the normalized text, first occurrence each."""
    spans = []
    original = norm.original
    for m in mentions:
        pos = original.find(m["text"])
        if pos < 0:
            continue
        # Map the original span to the normalized text through the offset arrays.
        norm_idx = [i for i, (s, e) in enumerate(zip(norm.starts, norm.ends))
                    if s < pos + len(m["text"]) and e > pos]
        if norm_idx:
            spans.append((norm_idx[0], norm_idx[-1] + 1, m["type"]))
    return spans


class MentionTagger:
    """A linear-chain CRF over words (sklearn-crfsuite)."""

    def __init__(self, *, c1: float = 0.05, c2: float = 0.05, max_iterations: int = 150):
        import sklearn_crfsuite

        self.crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=c1, c2=c2,
                                        max_iterations=max_iterations, all_possible_transitions=True)

    def fit(self, items: list[Prepared], mentions: list[list[dict]], lexicon: Lexicon) -> "MentionTagger":
        xs = [token_features(p, lexicon) for p in items]
        ys = [spans_to_tags(p, gold_spans(p.norm, m)) for p, m in zip(items, mentions)]
        self.crf.fit(xs, ys)
        return self

    def extract(self, items: list[Prepared], lexicon: Lexicon) -> list[list[Mention]]:
        out = []
        for p in items:
            if not p.words:
                out.append([])
                continue
            tags = self.crf.predict_single(token_features(p, lexicon))
            out.append(tags_to_mentions(p, tags))
        return out


