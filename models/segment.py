"""Word segmentation with jieba and the lexicon as a user dictionary.

Each Segmenter owns its own jieba.Tokenizer so two models with different lexicons can
live in one process; the tokenizer is built once per segmenter, never per call.
"""
from __future__ import annotations

import logging
import re

import jieba

from models.lexicon import Lexicon

jieba.setLogLevel(logging.WARNING)

# jieba's HMM guesses unknown words; without it segmentation is faster and the mention
# CRF joins unknown brand characters itself (equal or better on the validation split).
SEGMENTER_HMM = False

# Attribute-shaped strings (38码, 256g, #999, 2024款, 12+512) are kept as one word so
# that word features and mention tags see them whole.
ATTRIBUTE_PATTERN = re.compile(
    r"色号\s?#?[a-z0-9]{1,5}"
    r"|#[a-z]?\d{2,4}[a-z]?"
    r"|\d{2}(?:\.5)?码"
    r"|(?<![a-z])(?:xxs|xs|s|m|l|xl|xxl|xxxl|[2-5]xl)码"
    r"|(?<![a-z0-9])(?:黑|白|灰|蓝|红|粉|绿|黄|紫|棕|米)色?(?:xxs|xs|s|m|l|xl|xxl|xxxl|[2-5]xl)码?(?![a-z])"
    r"|\d{1,4}\+\d{2,4}(?:g|gb)?"
    r"|\d{1,4}(?:\.\d+)?(?:gb|g|tb|t|ml|l|kg|mm|cm|寸|英寸|匹|w|mah|粒|片|抽|升|斤)(?![a-z])"
    r"|(?:19|20)\d{2}(?:新|年)?款"
    r"|\d{3}/\d{2,3}[a-z]"
    r"|(?<![a-z0-9])[0-9][a-z][0-9](?![a-z0-9])"
)


class Segmenter:
    """jieba with the lexicon loaded as user words; attribute patterns kept whole."""

    def __init__(self, lexicon: Lexicon):
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()
        for term in lexicon.types:
            # High frequency so a listed term is preferred over a split.
            self._tokenizer.add_word(term.lower(), freq=50000)

    def cut(self, text: str) -> list[tuple[str, int, int]]:
        """Words of a normalized text with their [start, end) offsets in that text."""
        words: list[tuple[str, int, int]] = []
        last = 0
        for match in ATTRIBUTE_PATTERN.finditer(text):
            words.extend(self._cut_plain(text[last:match.start()], last))
            words.append((match.group(), match.start(), match.end()))
            last = match.end()
        words.extend(self._cut_plain(text[last:], last))
        return words

    def _cut_plain(self, text: str, offset: int) -> list[tuple[str, int, int]]:
        out = []
        for word, start, end in self._tokenizer.tokenize(text, HMM=SEGMENTER_HMM):
            if not word.isspace():
                out.append((word, start + offset, end + offset))
        return out
