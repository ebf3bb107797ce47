"""The official metrics, computed exactly as ../shared/data/referee.py computes them.

A test runs both on the same predictions and requires identical numbers.
"""
from __future__ import annotations

from models.labels import BUYING_INTENTS, INTENTS


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _binary(gold: dict, pred: dict, is_gold, is_pred) -> tuple[float, float, float]:
    tp = sum(is_gold(g) and is_pred(pred[i]) for i, g in gold.items())
    fp = sum(not is_gold(g) and is_pred(pred[i]) for i, g in gold.items())
    fn = sum(is_gold(g) and not is_pred(pred[i]) for i, g in gold.items())
    return _f1(tp, fp, fn)


def referee_metrics(gold: dict[str, dict], pred: dict[str, dict]) -> dict:
    """Metrics of predictions keyed by id against gold records keyed by id.

    Raises:
        ValueError: some gold id has no prediction.
    """
    missing = [i for i in gold if i not in pred]
    if missing:
        raise ValueError(f"{len(missing)} gold ids have no prediction, e.g. {missing[:3]}")
    per_class = {}
    for c in INTENTS:
        per_class[c] = _binary(gold, pred, lambda g, c=c: g["intent"] == c, lambda p, c=c: p["intent"] == c)
    buying = _binary(gold, pred, lambda g: g["intent"] in BUYING_INTENTS, lambda p: p["intent"] in BUYING_INTENTS)
    diversion = _binary(gold, pred, lambda g: g["diversion"], lambda p: bool(p["diversion"]))
    tp = fp = fn = 0
    for i, g in gold.items():
        gm = {(m["text"], m["type"]) for m in g.get("mentions", [])}
        pm = {(m["text"], m["type"]) for m in pred[i].get("mentions", [])}
        tp, fp, fn = tp + len(gm & pm), fp + len(pm - gm), fn + len(gm - pm)
    mentions = _f1(tp, fp, fn)
    return {
        "n": len(gold),
        "intent_macro_f1": sum(v[2] for v in per_class.values()) / len(INTENTS),
        "intent_accuracy": sum(g["intent"] == pred[i]["intent"] for i, g in gold.items()) / len(gold),
        "purchase_intent_f1": buying[2],
        "diversion_f1": diversion[2],
        "mention_f1": mentions[2],
        "per_class_f1": {c: round(v[2], 4) for c, v in per_class.items()},
        "purchase_intent_prf": buying, "diversion_prf": diversion, "mention_prf": mentions,
    }


HEADLINE = ("intent_macro_f1", "intent_accuracy", "purchase_intent_f1", "diversion_f1", "mention_f1")


def format_metrics(m: dict) -> str:
    """The referee's own table layout."""
    lines = [f"records             {m['n']}"]
    lines += [f"{k:<20}{m[k]:.4f}" for k in HEADLINE]
    lines += [f"  f1 {c:<15}{v:.4f}" for c, v in m["per_class_f1"].items()]
    return "\n".join(lines)


def expected_calibration_error(probs, labels, bins: int = 15) -> float:
    """ECE of the top-class probability, equal-width bins."""
    import numpy as np

    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        mask = (conf > lo) & (conf <= hi)
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - conf[mask].mean())
    return float(ece)
