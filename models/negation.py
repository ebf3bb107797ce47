"""Negation scope: the guide makes 不用求链接了 and 太贵了不考虑 `none`, but a bag of n-grams
sees 求链接 in both. Words inside a negation's scope get a marked twin feature (¬链接),
and a detector flag marks refusals, so a linear model can learn that scope flips intent.
"""
from __future__ import annotations

import re

# Negators that open a scope running to the end of the clause.
NEGATORS = frozenset({"不用", "不要", "别", "不想", "不会", "没必要", "不需要", "无需", "不必", "不打算", "不准备",
                      "没", "没有", "不", "甭", "莫", "勿", "不再", "懒得", "用不着", "不敢"})
CLAUSE_END = frozenset("，,。.!！?？~～;；")
NEGATED = "¬"

# Refusals and retreats that are `none` whatever request words stand nearby.
REFUSAL = re.compile(
    r"(?:不用|不要|别|无需|不需要|没必要)(?:再)?(?:求|要|发|问|种草|私)?.{0,3}(?:链接|买|下单|种草|安利)"
    r"|算了|拔草|不考虑|劝退|告辞|买不起|退退退|溜了|忍住了|已经有了|就不买了|不买了|劝住了|冷静了"
)


def mark_negation(words: list[str]) -> list[str]:
    """The words, plus a ¬-marked copy of each word inside a negation scope."""
    marked: list[str] = []
    in_scope = False
    for w in words:
        if w and w[-1] in CLAUSE_END:
            in_scope = False
        elif in_scope:
            marked.append(NEGATED + w)
        if w in NEGATORS:
            in_scope = True
    return words + marked
