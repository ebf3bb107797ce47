"""Rule detectors for the signals sellers and diverters leave in a comment.

They run on normalized text (so V❤ and 🐧 are already 微信 and qq) and report spans on
the original. Their flags are features of both classifiers, and the strong ones
(phone numbers, share codes, contact ids) force the diversion flag on: the guide makes
those diversion whoever writes them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from models.negation import REFUSAL
from models.normalize import Normalized

_CJK = r"\u4e00-\u9fff"
DETECTORS: dict[str, re.Pattern[str]] = {
    "url": re.compile(
        rf"(?:https?://|www\.)[^\s{_CJK}]+"
        rf"|(?<![a-z0-9.])(?:t\.cn|[a-z0-9-]{{2,}}\.(?:com|cn|net|top|cc|vip))(?:/[^\s{_CJK}]*)?"
        rf"|(?<![a-z0-9.])[a-z0-9-]+(?:\.[a-z0-9-]+)+/[a-z0-9./_?=&%-]+"
    ),
    "at_mention": re.compile(r"@[^\s:：,，@]{1,20}"),
    # Mobile numbers, also spaced or dashed; numbers spelled in Chinese digits are contact
    # numbers too (nobody spells seven digits in characters for any other reason).
    "phone": re.compile(r"(?<!\d)1[3-9]\d(?:[\s-]?\d){8}(?!\d)|(?:[一二三四五六七八九零〇幺两壹贰叁肆伍陆柒捌玖]\s?){7,}"),
    "share_code": re.compile(
        r"[¥$€₤][a-z0-9]{6,16}[¥$€₤]"
        r"|复制.{0,24}?打开"
        r"|(?:长按|复制)(?:这条|此条|这段)?(?:信息|口令|链接|暗号)"
        r"|【(?:淘宝|京东|拼多多|抖音|闲鱼)】"
    ),
    # Long letter-digit strings are share codes only when they alternate like random
    # tokens (Rt5Hw8LnQ3), not like model names (iPhone15promax); see _is_token.
    "token": re.compile(r"(?<![a-z0-9])[a-z0-9]{8,}(?![a-z0-9])"),
    "contact_id": re.compile(r"(?:微信|qq|(?<![a-z])[vq])(?:号|群)?\s?[:：]?\s?(?=[a-z0-9_-]*\d)[a-z0-9_-]{5,}"),
    "private_channel": re.compile(
        r"私我|私信我|私聊我?|私发|私信发|滴滴我|dd我|找我拿|加我|看我?主页|主页有|主页看|主页置顶|戳我?头像|看我?头像"
        r"|点我?头像|看我?简介|后台踢我|扣个?1|已私|dm\s?me|dm我|拉个?群|进群|加群|联系方式|私下联系|站外"
    ),
    # 微信/QQ as a channel offered or asked for, not any mention of the apps (微信运动, QQ音乐).
    "contact_invite": re.compile(
        r"(?:加|联系|找|私|添加|留|咨询|备注)(?:我|一下|个)?(?:的)?(?:微信|qq)"
        r"|(?:微信|qq)(?:号|同号|联系|咨询|找我|私聊|私我|发我|详聊|[:：])"),
    "refusal": REFUSAL,
}
# Strong signals: the guide makes them diversion whoever writes them (a typed URL always
# leads off the platform: in-app links are placed by the platform, not typed).
STRONG_DIVERSION = frozenset({"phone", "share_code", "token", "contact_id", "url"})
REPLY_PREFIX = re.compile(r"^\s*回复\s?@[^:：]{1,20}[:：]")


@dataclass(frozen=True, slots=True)
class Detection:
    kind: str
    start: int  # offsets into the original text
    end: int


def detect(norm: Normalized) -> list[Detection]:
    """All detector hits in a normalized comment, as spans of the original text."""
    hits = []
    for kind, pattern in DETECTORS.items():
        for match in pattern.finditer(norm.text):
            if kind == "token" and not _is_token(match.group()):
                continue
            start, end = norm.to_original(*match.span())
            hits.append(Detection(kind, start, end))
    return hits


def _is_token(word: str) -> bool:
    switches = sum(a.isdigit() != b.isdigit() for a, b in zip(word, word[1:]))
    return switches >= 4


def flags(detections: list[Detection], norm: Normalized) -> dict[str, bool]:
    """One boolean per detector plus `reply`, the feature vector the classifiers use."""
    kinds = {d.kind for d in detections}
    out = {kind: kind in kinds for kind in DETECTORS}
    out["reply"] = bool(REPLY_PREFIX.match(norm.text))
    return out


FLAG_NAMES: tuple[str, ...] = (*DETECTORS, "reply")


def strong_diversion(detections: list[Detection]) -> bool:
    return any(d.kind in STRONG_DIVERSION for d in detections)


# A strong detector hit (phone, share code, contact id, URL) is diversion by the guide's
# definition whatever a classifier says; this is the score it reports.
STRONG_DIVERSION_SCORE = 0.99


def apply_strong_diversion(scores, detections: list[list[Detection]]):
    """Raise the diversion score of every comment with a strong detector hit; every model kind calls this."""
    import numpy as np

    strong = np.array([strong_diversion(d) for d in detections], dtype=bool)
    return np.where(strong, np.maximum(scores, STRONG_DIVERSION_SCORE), scores)
