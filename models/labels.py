"""The label contract of ../shared/data/LABELING.md, defined once.

The order of INTENTS is the class-id order of every model; artifacts store it and
loading refuses a folder whose labels differ.
"""
from __future__ import annotations

INTENTS: tuple[str, ...] = ("ask_link", "ask_product", "ask_price", "want_buy", "none", "spam")
BUYING_INTENTS: frozenset[str] = frozenset({"ask_link", "ask_product", "ask_price", "want_buy"})
ASK_INTENTS: frozenset[str] = frozenset({"ask_link", "ask_product", "ask_price"})
# Guide rule: with several intents, the strongest for buying wins, in this order.
INTENT_PRIORITY: tuple[str, ...] = ("ask_link", "ask_product", "ask_price", "want_buy", "none")
MENTION_TYPES: tuple[str, ...] = ("brand", "product", "attribute")
DOMAINS: tuple[str, ...] = (
    "beauty", "fashion", "health", "outdoor", "food", "digital", "home", "baby", "other",
)

LABEL2ID: dict[str, int] = {label: i for i, label in enumerate(INTENTS)}
ID2LABEL: dict[int, str] = dict(enumerate(INTENTS))


def is_buying(intent: str) -> bool:
    """True for the four intents that count as purchase intent."""
    return intent in BUYING_INTENTS
