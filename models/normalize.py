"""One text normalization for training and serving, with offsets back to the original.

normalize() folds what users vary without changing meaning, so that features see one
form: Unicode NFKC (full-width letters, digits and punctuation become half-width),
ASCII lower case, invisible characters removed, traditional characters converted to
simplified with OpenCC, and obfuscated contact and shop words (V❤, 薇信, 🐧, 某宝 ...)
folded to canonical forms. Emoji are kept: they carry intent (求🔗) and the n-gram
features use them.

Every character of the normalized text remembers the span of the original it came
from, so mention and detector spans found on the normalized text are reported on the
text the user sent.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Bump when normalization output changes: artifacts record it and refuse a mismatch.
NORMALIZER_VERSION = "5"

_INVISIBLE = frozenset("\ufe0e\ufe0f\u200b\u200c\u200d\u2060\ufeff\u00ad")

# Canonical form -> spellings users type to evade filters or by habit. Patterns are
# matched on lower-cased, NFKC, simplified text; ASCII words need letter boundaries so
# that "tb" does not fire inside "tbh" (or inside a URL such as m.tb.cn).
_FOLDS: dict[str, tuple[str, ...]] = {
    "加微信": (r"[+➕]\s?(?:v|微信|vx|wx)(?:\s?[❤♥💗💕])?(?![a-z])", r"加v(?:\s?[❤♥💗💕])?(?![a-z])"),
    "微信": (
        r"(?<![a-z])v\s?[❤♥💗💕]", r"[薇威微徽维]\s?[❤♥💗💕]", r"[薇威徽维]信", r"威心", r"薇芯",
        r"(?<![a-z])(?:vx|wx|wechat|weixin)(?![a-z])", r"(?<![a-z])v信", r"绿泡泡", r"🟢泡泡",
        r"卫星号", r"微x",
    ),
    "qq": (r"🐧", r"扣扣", r"企鹅号", r"(?<![a-z])q群", r"(?<![a-z])kk号"),
    "淘宝": (r"某宝", r"🍑宝", r"桃宝", r"掏宝", r"淘bao", r"(?<![a-z./])(?:tb|taobao)(?![a-z.])", r"某🍑"),
    "京东": (r"某东", r"🐶东", r"狗东", r"(?<![a-z./])jd(?![a-z.])"),
    "拼多多": (r"(?<![a-z./])pdd(?![a-z.])", r"拼夕夕", r"某多多", r"p夕夕"),
    "抖音": (r"某音", r"(?<![a-z])dy(?![a-z])", r"抖yin", r"dou音"),
    "链接": (r"[练炼恋]接", r"链\s?jie", r"lian\s?jie", r"lian接", r"[链连]结"),
}
_FOLD_PATTERN = re.compile("|".join(f"(?P<g{i}>{'|'.join(p)})" for i, p in enumerate(_FOLDS.values())))
_FOLD_TARGETS = tuple(_FOLDS)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalized text and, for each of its characters, the original span it came from."""

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the normalized text to the original text."""
        if start >= end:
            raise ValueError(f"empty span [{start}, {end})")
        return self.starts[start], self.ends[end - 1]


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # deferred: the converter loads its dictionaries on first use

    return opencc.OpenCC("t2s")


# An unpaired UTF-16 surrogate: valid in a Python str (JSON "\\ud800" decodes to one) but
# not Unicode text, so OpenCC, the tokenizer and every UTF-8 writer reject it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def unpaired_surrogate(text: str) -> str | None:
    """Why `text` is not valid Unicode (its first unpaired surrogate and where), None when
    it is. A paired surrogate is already one code point once JSON is decoded."""
    found = _SURROGATE.search(text)
    return f"unpaired surrogate {found.group()!r} at position {found.start()} is not valid Unicode" if found else None


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    if ch in _INVISIBLE:
        return ""
    if _SURROGATE.match(ch):  # scored as an unknown character instead of failing the batch
        return "\ufffd"
    out = unicodedata.normalize("NFKC", ch).lower()
    return " " if out.isspace() else out


def _to_simplified(chars: list[str]) -> list[str]:
    text = "".join(chars)
    converted = _t2s().convert(text)
    if len(converted) == len(text):
        return list(converted)
    # Phrase-level conversions may change the length; fall back to one character at a
    # time so the offsets stay exact.
    return [_t2s().convert(c) if len(c) == 1 else c for c in chars]


def normalize(text: str) -> Normalized:
    """Normalize one comment for features, keeping offsets into the original.

    Args:
        text: the comment exactly as the user typed it.

    Returns:
        A Normalized whose ``text`` is what every feature and detector reads.
    """
    # 1. Per-character folding (NFKC, case, invisibles), remembering origins.
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, ch in enumerate(text):
        folded = _fold_char(ch)
        for out in folded:
            pieces.append(out)
            starts.append(i)
            ends.append(i + 1)
    # 2. Traditional -> simplified; only length-preserving conversions are kept.
    if any(ord(c) > 0x2E7F for c in pieces):
        pieces = _to_simplified(pieces)
    joined = "".join(pieces)
    # 3. Obfuscated contact and shop words -> canonical words, then runs of spaces -> one.
    joined, starts, ends = _substitute(joined, starts, ends, _FOLD_PATTERN, _fold_replacement)
    joined, starts, ends = _substitute(joined, starts, ends, _SPACES, lambda m: " ")
    return Normalized(original=text, text=joined, starts=tuple(starts), ends=tuple(ends))


def normalize_text(text: str) -> str:
    """The normalized string alone, for callers that need no offsets."""
    return normalize(text).text


def _fold_replacement(match: re.Match[str]) -> str:
    return _FOLD_TARGETS[int(match.lastgroup[1:])]


def _substitute(text, starts, ends, pattern, replacement):
    """re.sub that also rewrites the offset arrays; replaced characters span the whole match."""
    out, out_starts, out_ends = [], [], []
    last = 0
    for match in pattern.finditer(text):
        a, b = match.span()
        out.append(text[last:a])
        out_starts.extend(starts[last:a])
        out_ends.extend(ends[last:a])
        new = replacement(match)
        out.append(new)
        out_starts.extend([starts[a]] * len(new))
        out_ends.extend([ends[b - 1]] * len(new))
        last = b
    if last == 0:
        return text, starts, ends
    out.append(text[last:])
    out_starts.extend(starts[last:])
    out_ends.extend(ends[last:])
    return "".join(out), out_starts, out_ends
