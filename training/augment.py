"""Noisy variants of hand-labeled comments, the way real users write them.

Each op keeps the label (except `quote`, which turns a request into a meta comment,
labeled none as the guide says) and keeps every mention verbatim; a variant whose
mentions no longer occur in its text is discarded rather than mislabeled.
"""
from __future__ import annotations

import random
import re
from functools import lru_cache
from typing import Callable

# Spellings users type instead of the standard word (typos, homophones, pinyin, slang).
VARIANTS: dict[str, list[str]] = {
    "链接": ["练接", "链jie", "lj", "炼接", "链结", "link", "🔗", "连接", "lianjie"],
    "多少钱": ["多少q", "多少米", "几块钱", "多钱", "how much", "啥价", "多少马内"],
    "怎么买": ["咋买", "怎么入", "哪里入", "咋入手"],
    "在哪": ["在哪儿", "搁哪", "在哪里", "哪儿"],
    "什么": ["啥", "神马", "什摸", "sm"],
    "牌子": ["牌zi", "品牌", "牌牌"],
    "姐妹": ["集美", "jm", "姐妹们", "家人们", "宝子"],
    "真的": ["真滴", "zd", "真的是", "是真的"],
    "求": ["球", "求求", "蹲"],
    "好看": ["好好看", "绝了", "yyds", "太好看了吧"],
    "下单": ["下单", "xd", "入了", "拍了"],
    "喜欢": ["稀罕", "爱了", "xh"],
    "这个": ["这个", "介个", "这只", "这"],
    "谢谢": ["xx", "谢谢啦", "感谢", "thx", "3q"],
    "可以": ["ok", "阔以", "可"],
}
EMOJI = ["😭", "🙏", "😍", "🔥", "✨", "💕", "😂", "👀", "🥺", "❤️", "🤩", "😳", "🤔", "👍", "💰", "🛒", "😆"]
FILLERS_BEFORE = ["姐妹们", "啊啊啊", "救命", "博主", "宝子", "hhh", "呜呜", "刷到了", "来了来了", "家人们",
                  "终于刷到了", "一眼心动", "看了好几遍了", "才看到", "说真的"]
FILLERS_AFTER = ["！！", "～", "!!!", "呀", "哈哈哈", "呜呜呜", "🙏🙏", "谢谢博主", "在线等", "急急急", "求回复", "。。",
                 "拜托拜托", "hhh"]
QUOTES = ["评论区一半都是“{t}”哈哈哈", "每次都能看到有人说“{t}”笑死", "又是满屏的“{t}”",
          "博主快被“{t}”刷屏了吧", "看到“{t}”这种评论就想笑"]
FULLWIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


@lru_cache(maxsize=1)
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


def _protected(text: str, mentions: list[dict]) -> list[tuple[int, int]]:
    spans = []
    for m in mentions:
        pos = text.find(m["text"])
        while pos >= 0:
            spans.append((pos, pos + len(m["text"])))
            pos = text.find(m["text"], pos + 1)
    return spans


def _replace_outside(text: str, mentions: list[dict], old: str, new: str) -> str:
    spans = _protected(text, mentions)
    out, last = [], 0
    for match in re.finditer(re.escape(old), text):
        a, b = match.span()
        if any(a < e and b > s for s, e in spans):
            continue
        out += [text[last:a], new]
        last = b
    return "".join(out) + text[last:]


def typo(text, mentions, rng):
    present = [w for w in VARIANTS if w in text]
    if not present:
        return None
    for word in rng.sample(present, k=min(len(present), rng.randint(1, 2))):
        text = _replace_outside(text, mentions, word, rng.choice(VARIANTS[word]))
    return text, mentions


def traditional(text, mentions, rng):
    converted = _s2t().convert(text)
    new_mentions = [{"text": _s2t().convert(m["text"]), "type": m["type"]} for m in mentions]
    return converted, new_mentions


def emoji(text, mentions, rng):
    e = "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 3)))
    return (e + text, mentions) if rng.random() < 0.3 else (text + e, mentions)


def filler(text, mentions, rng):
    if rng.random() < 0.5:
        return f"{rng.choice(FILLERS_BEFORE)}{rng.choice(['，', ' ', '！', ''])}{text}", mentions
    return f"{text}{rng.choice(FILLERS_AFTER)}", mentions


def reply(text, mentions, rng):
    from training.generate import USERNAMES

    return f"回复 @{rng.choice(USERNAMES)}：{text}", mentions


def fullwidth(text, mentions, rng):
    if not any(c in FULLWIDTH for c in text):
        return None
    new_mentions = [{"text": m["text"].translate(str.maketrans(FULLWIDTH)), "type": m["type"]} for m in mentions]
    return text.translate(str.maketrans(FULLWIDTH)), new_mentions


def strip_punct(text, mentions, rng):
    stripped = re.sub(r"[，。！？!?,.~～、]+", rng.choice(["", " "]), text).strip()
    return (stripped, mentions) if stripped and stripped != text else None


# name -> (op, weight); `quote` changes the label to none and is applied only to requests.
OPS: dict[str, tuple[Callable, float]] = {
    "typo": (typo, 3.0), "traditional": (traditional, 1.5), "emoji": (emoji, 1.5), "filler": (filler, 2.0),
    "reply": (reply, 1.0), "fullwidth": (fullwidth, 0.4), "strip_punct": (strip_punct, 1.0),
}


def quote(text: str, mentions: list[dict], rng: random.Random) -> tuple[str, list[dict]]:
    """A reader quoting other readers' requests: a meta comment with no intent of its own."""
    return rng.choice(QUOTES).format(t=text), mentions


def augment(example: dict, rng: random.Random) -> dict | None:
    """One noisy variant of a labeled example, or None when no op applies cleanly."""
    names = list(OPS)
    weights = [OPS[n][1] for n in names]
    chosen = []
    text, mentions = example["text"], example["mentions"]
    for name in rng.choices(names, weights=weights, k=rng.randint(1, 2)):
        if name in chosen:
            continue
        result = OPS[name][0](text, mentions, rng)
        if result is None:
            continue
        text, mentions = result
        chosen.append(name)
    label = example["intent"]
    if (example["intent"] in ("ask_link", "ask_price", "ask_product") and len(example["text"]) <= 14
            and not example["diversion"] and rng.random() < 0.08):
        text, mentions = quote(text, mentions, rng)
        label = "none"
        chosen.append("quote")
    if not chosen or text == example["text"] or any(m["text"] not in text for m in mentions):
        return None
    return {**example, "text": text, "mentions": mentions, "intent": label, "augment": "+".join(chosen)}
