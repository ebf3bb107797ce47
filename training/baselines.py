"""Reference points for the closing note: keyword rules and a plain character n-gram model.

`buyintent baselines` scores both on a labeled file with the official metrics, so every
number the real model reports sits beside what simple approaches get on the same data.
"""
from __future__ import annotations

import re
from pathlib import Path


from models.detectors import detect, strong_diversion
from models.labels import INTENTS
from models.normalize import normalize

# Keyword rules in the guide's priority order; the first that matches wins.
KEYWORD_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("spam", re.compile(r"代购|货源|工厂|批发|代理|私我|看主页|主页|加微信|微信|qq|招|兼职|出闲置")),
    ("ask_link", re.compile(r"链接|在哪买|哪里买|怎么买|哪家店|店铺|店名|蹲|dd|同求|lj|🔗")),
    ("ask_product", re.compile(r"什么牌子|哪个牌子|色号|什么型号|哪款|什么码|牌子")),
    ("ask_price", re.compile(r"多少钱|价格|贵不贵|怎么卖|优惠|便宜|价位")),
    ("want_buy", re.compile(r"下单|已买|已入|买了|加购|种草|冲|想买|入手|拍了")),
]


class KeywordBaseline:
    name, version = "keyword-rules", "0"

    def predict(self, texts, notes=None) -> list[dict]:
        out = []
        for text in texts:
            norm = normalize(text)
            intent = next((label for label, rule in KEYWORD_RULES if rule.search(norm.text)), "none")
            diversion = strong_diversion(detect(norm)) or intent == "spam"
            out.append({"intent": intent, "diversion": diversion, "mentions": []})
        return out


class PlainNgramBaseline:
    """Character 1-3-gram TF-IDF + logistic regression on train_seed alone (no lexicon, no extras)."""

    name, version = "plain-char-ngram-logreg", "0"

    def __init__(self, seed_dir: str | Path):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        from training.records import read_labeled

        rows = [r for path in sorted(Path(seed_dir).glob("*.jsonl")) for r in read_labeled(path)]
        texts = [r["text"] for r in rows]
        self.vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        X = self.vec.fit_transform(texts)
        self.intent = LogisticRegression(max_iter=2000).fit(X, [r["intent"] for r in rows])
        self.diversion = LogisticRegression(max_iter=2000).fit(X, [r["diversion"] for r in rows])

    def predict(self, texts, notes=None) -> list[dict]:
        X = self.vec.transform(list(texts))
        intents = self.intent.predict(X)
        diversion = self.diversion.predict(X)
        return [{"intent": str(i), "diversion": bool(d), "mentions": []} for i, d in zip(intents, diversion)]


def baseline_predictors(seed_dir: str | Path) -> list:
    return [KeywordBaseline(), PlainNgramBaseline(seed_dir)]


