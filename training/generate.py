"""Lexicon-filled phrasings: hand-written sentence patterns times brands, products, attributes.

Phrasings (data/phrasings/phrasings.yaml) are written by hand to LABELING.md; this
module only fills their slots, so every generated comment keeps the phrasing's label
and gets exact, verbatim mention spans for the slots it filled.
"""
from __future__ import annotations

import random
import re
import string
from pathlib import Path

import yaml

from models.labels import DOMAINS, INTENTS
from models.lexicon import Lexicon

SLOT = re.compile(r"\{(brand|product|attr|contact|token|price|user)\}")
SLOT_TYPES = {"brand": "brand", "product": "product", "attr": "attribute"}
USERNAMES = ["小鹿不乱撞", "momo", "是阿琳呀", "kiki酱", "橘子汽水", "一只小胖丁", "Lily", "阿杰", "山茶花",
             "今天也要加油鸭", "奶糖", "大白兔", "喵喵喵", "Coco", "晚风", "小葡萄妈妈", "土豆泥", "Yuki"]
NOTE_PATTERNS = ["{brand}{product}真实测评｜用了一个月", "{product}分享｜平价好用不踩雷", "被问爆的{product}来了",
                 "{brand}新品开箱", "我的{product}合集｜附链接位置", "一周{product}打卡", "{product}横评｜谁是性价比之王",
                 "闭眼入的{product}清单", "{brand}家{product}我吹爆", "换季必备｜{product}推荐"]


def load_phrasings(path: str | Path) -> dict[str, list[dict]]:
    """intent -> list of {"text", "diversion"}; checks the labels against the contract."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    unknown = set(data) - set(INTENTS)
    if unknown:
        raise ValueError(f"{path}: unknown intents {sorted(unknown)}")
    return {intent: [p for p in data.get(intent) or [] if p.get("text")] for intent in INTENTS}


def _code(rng: random.Random, n: int) -> str:
    chars = []
    for i in range(n):
        pool = string.digits if i % 2 else string.ascii_letters
        chars.append(rng.choice(pool))
    return "".join(chars)


def _attribute(rng: random.Random, lexicon_attrs: list[str]) -> str:
    if lexicon_attrs and rng.random() < 0.5:
        return rng.choice(lexicon_attrs)
    kind = rng.randrange(9)
    if kind == 0:
        return f"色号{rng.choice(['0', ''])}{rng.randint(1, 99)}"
    if kind == 1:
        return f"#{rng.randint(100, 999)}"
    if kind == 2:
        return f"{rng.randint(35, 44)}码"
    if kind == 3:
        return rng.choice(["S", "M", "L", "XL", "XXL", "s", "m", "l"]) + rng.choice(["码", "码", ""])
    if kind == 4:
        return f"{rng.choice([64, 128, 256, 512])}{rng.choice(['G', 'g', 'GB'])}"
    if kind == 5:
        return f"{rng.randint(2019, 2026)}款"
    if kind == 6:
        return f"{rng.choice([8, 12, 16])}+{rng.choice([256, 512])}"
    if kind == 7:
        return f"{rng.randint(1, 3)}{rng.choice('WNCY')}{rng.randint(0, 3)}"
    return f"{rng.choice([30, 50, 75, 100, 200, 500])}{rng.choice(['ml', 'g', 'ML'])}"


def _contact(rng: random.Random) -> str:
    handle = rng.choice(["lily", "abc", "meimei", "hh", "xiaoxi", "zz", "mm"]) + str(rng.randint(100, 99999))
    return rng.choice([f"V❤ {handle}", f"薇❤{handle}", f"vx：{handle}", f"🐧{rng.randint(10**7, 10**10)}",
                       f"扣扣{rng.randint(10**7, 10**10)}", f"+v {handle}", f"威信{handle}", f"➕V:{handle}",
                       f"v{handle}", f"绿泡泡{handle}", f"1{rng.randint(3, 9)}{rng.randint(10**8, 10**9 - 1)}"])


def _token(rng: random.Random) -> str:
    code = _code(rng, rng.randint(8, 12))
    return rng.choice([f"￥{code}￥", f"€{code}€", f"${code}$", f"复制{code}打开", code])


def _price(rng: random.Random) -> str:
    return rng.choice([str(rng.choice([39, 59, 99, 129, 199, 299, 399, 599, 899, 1299])),
                       rng.choice(["三百多", "两百", "一百出头", "五十几", "1k", "两千多", "八十"])])


class TemplateFiller:
    """Fills phrasing slots from a lexicon, per domain, reproducibly from a seed."""

    def __init__(self, lexicon: Lexicon, rng: random.Random):
        self.rng = rng
        self.by_domain: dict[str, dict[str, list[str]]] = {
            d: {t: [] for t in SLOT_TYPES.values()} for d in DOMAINS}
        for term, mtype in lexicon.types.items():
            domain = lexicon.domains.get(term, "other")
            self.by_domain.setdefault(domain, {t: [] for t in SLOT_TYPES.values()})[mtype].append(term)
        self.any = {t: lexicon.terms_of(t) for t in SLOT_TYPES.values()}

    def _term(self, domain: str, mtype: str) -> str:
        pool = self.by_domain.get(domain, {}).get(mtype) or self.any[mtype]
        if not pool:
            raise ValueError(f"lexicon has no {mtype} terms")
        return self.rng.choice(pool)

    def fill(self, pattern: str, domain: str) -> tuple[str, list[dict]]:
        """(text, mentions) with a fresh filler for every slot."""
        pattern = pattern.replace("回复 {user}", "回复 @{user}")  # a reply names its target with @
        out, mentions, last = [], [], 0
        for match in SLOT.finditer(pattern):
            out.append(pattern[last:match.start()])
            slot = match.group(1)
            if slot in ("brand", "product"):
                value = self._term(domain, SLOT_TYPES[slot])
            elif slot == "attr":
                value = _attribute(self.rng, self.by_domain.get(domain, {}).get("attribute", []))
            elif slot == "contact":
                value = _contact(self.rng)
            elif slot == "token":
                value = _token(self.rng)
            elif slot == "price":
                value = _price(self.rng)
            else:
                value = self.rng.choice(USERNAMES)
            out.append(value)
            if slot in SLOT_TYPES:
                mentions.append({"text": value, "type": SLOT_TYPES[slot]})
            last = match.end()
        out.append(pattern[last:])
        text = "".join(out)
        return text, dedupe_mentions(text, mentions)

    def note(self, domain: str) -> str:
        return self.fill(self.rng.choice(NOTE_PATTERNS), domain)[0]


def dedupe_mentions(text: str, mentions: list[dict]) -> list[dict]:
    """Each distinct (text, type) once, in order of first appearance in text (the guide's rule)."""
    seen, out = set(), []
    for m in mentions:
        key = (m["text"], m["type"])
        if key not in seen and m["text"] in text:
            seen.add(key)
            out.append({"text": m["text"], "type": m["type"]})
    return sorted(out, key=lambda m: text.find(m["text"]))
