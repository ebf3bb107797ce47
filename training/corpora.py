"""Readers for the real text in ../shared/corpora, with a held-out slice per corpus.

Every corpus is split by a hash of the text, so the slice held out for false-alarm
evaluation is the same on every run and never sampled as a training negative.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

# online_shopping_10_cats categories -> our domains
SHOPPING_DOMAINS = {"书籍": "other", "平板": "digital", "手机": "digital", "水果": "food", "洗发水": "beauty",
                    "热水器": "home", "蒙牛": "food", "衣服": "fashion", "计算机": "digital", "酒店": "other"}
CORPUS_KINDS = {"online_shopping": "reviews", "waimai": "reviews", "hotel": "reviews",
                "jd_aircon": "reviews", "weibo": "weibo"}


@dataclass(frozen=True, slots=True)
class CorpusText:
    corpus: str
    text: str
    domain: str


def is_held_out(text: str, fraction: float) -> bool:
    """Deterministic membership of the held-out slice, by text hash."""
    bucket = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") % 10_000
    return bucket < fraction * 10_000


def _csv_rows(path: Path, opener=open) -> Iterator[dict]:
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        yield from csv.DictReader(fh)


def read_corpus(corpora_dir: Path, name: str) -> Iterator[CorpusText]:
    """Yield the texts of one corpus with the domain they belong to."""
    root = Path(corpora_dir)
    if name == "online_shopping":
        for row in _csv_rows(root / "reviews/online_shopping_10_cats.csv.gz", gzip.open):
            yield CorpusText(name, row["review"], SHOPPING_DOMAINS.get(row["cat"], "other"))
    elif name == "waimai":
        for row in _csv_rows(root / "reviews/waimai_10k.csv"):
            yield CorpusText(name, row["review"], "food")
    elif name == "hotel":
        for row in _csv_rows(root / "reviews/ChnSentiCorp_htl_all.csv"):
            yield CorpusText(name, row["review"], "other")
    elif name == "jd_aircon":
        for row in _csv_rows(root / "reviews/jd_aircon_comments.utf8.csv"):
            text = row["评论内容"]
            if text != "此用户未填写评价内容":
                yield CorpusText(name, text, "home")
    elif name == "weibo":
        with (root / "weibo/smp2020_ewect_usual_test_labeled.json").open(encoding="utf-8") as fh:
            for row in json.load(fh):
                yield CorpusText(name, row["content"], "other")
    else:
        raise ValueError(f"unknown corpus {name!r}; known: {sorted(CORPUS_KINDS)}")


def split_corpus(corpora_dir: Path, name: str, holdout_fraction: float, max_chars: int
                 ) -> tuple[list[CorpusText], list[CorpusText]]:
    """(pool, held_out): clean, de-duplicated texts of a corpus, split by hash."""
    pool, held = [], []
    seen = set()
    for item in read_corpus(corpora_dir, name):
        text = (item.text or "").strip().lstrip("\ufeff")
        if not text or len(text) > max_chars or text in seen:
            continue
        seen.add(text)
        item = CorpusText(item.corpus, text, item.domain)
        (held if is_held_out(text, holdout_fraction) else pool).append(item)
    return pool, held
