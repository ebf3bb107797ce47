"""`buyintent train` for kind ensemble: fit mixing weights of two trained members on validation.

Everything is fitted on the data build's validation split (hand-labeled comments held
out from training), never on dev.jsonl: the intent weight by macro-F1 (ties broken by
log loss), a temperature on the mixed probabilities, the diversion weight and threshold
by F1, and which member's mentions to keep by mention F1. A config may give the weights
instead (`weights:`); they are then used as given and only measured.
"""
from __future__ import annotations

import json
import shutil
import time

import numpy as np

from models.artifact import LEXICON_DIR, staged_folder, write_manifest
from models.ensemble import ENSEMBLE_FILE, EnsemblePredictor, mix, undecided
from models.labels import LABEL2ID
from models.lexicon import Lexicon, copy_lexicon
from models.predictor import load_predictor
from models.scores import to_results
from training.config import EnsembleConfig
from training.metrics import referee_metrics
from training.train_linear import best_threshold, fit_temperature, load_splits

GRID = np.round(np.linspace(0.0, 1.0, 21), 2)
SLIM_SKIP = ("model.onnx", "model.safetensors")


def _macro_f1(y, pred) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, pred, average="macro", labels=list(range(len(LABEL2ID))), zero_division=0))


def fit_weights(lin, tra, val: list[dict]) -> dict:
    y = np.array([LABEL2ID[r["intent"]] for r in val])
    gold_div = np.array([r["diversion"] for r in val])

    def score_w(w):
        probs = (1 - w) * lin.intent_probs + w * tra.intent_probs
        nll = -np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, 1)).mean()
        return _macro_f1(y, probs.argmax(1)), -nll

    w = max(GRID, key=score_w)
    probs = (1 - w) * lin.intent_probs + w * tra.intent_probs
    temperature = fit_temperature(np.log(np.clip(probs, 1e-12, 1.0)), y)

    def div_f1(wd):
        scores = (1 - wd) * lin.diversion_scores + wd * tra.diversion_scores
        t = best_threshold(scores, gold_div)
        pred = scores >= t
        return 2 * (pred & gold_div).sum() / max(pred.sum() + gold_div.sum(), 1), t

    wd = max(GRID, key=lambda v: div_f1(v)[0])
    return {"intent_transformer_weight": float(w), "temperature": temperature,
            "diversion_transformer_weight": float(wd), "diversion_threshold": float(div_f1(wd)[1])}


def train_ensemble(cfg: EnsembleConfig, *, progress: bool = True) -> dict:
    started = time.time()
    _, val = load_splits(cfg.data_dir)
    lin_pred, tra_pred = load_predictor(cfg.linear), load_predictor(cfg.transformer)
    texts, notes = [r["text"] for r in val], [r.get("note") for r in val]
    lin, tra = lin_pred.scores(texts, notes), tra_pred.scores(texts, notes)
    fixed = cfg.weights
    weights = fixed.model_dump(exclude={"mentions_from"}) if fixed else fit_weights(lin, tra, val)
    gold = {r["id"]: r for r in val if r["mentions_labeled"]}
    member_mentions = {}
    for source in ("linear", "transformer", "union"):
        mixed = mix(lin, tra, {**weights, "mentions_from": source})
        rows = to_results(mixed, weights["diversion_threshold"], {})
        member_mentions[source] = referee_metrics(gold, {r["id"]: p for r, p in zip(val, rows)})["mention_f1"]
    weights["mentions_from"] = fixed.mentions_from if fixed else max(member_mentions, key=member_mentions.get)
    weights["validation_mention_f1_by_source"] = member_mentions
    weights["fitted"] = fixed is None

    with staged_folder(cfg.output_dir) as staging:
        shutil.copytree(cfg.linear, staging / "linear")
        ignore = shutil.ignore_patterns(*SLIM_SKIP) if cfg.slim else None
        shutil.copytree(cfg.transformer, staging / "transformer", ignore=ignore)
        lexicon = Lexicon.load(cfg.lexicon_dir)
        copy_lexicon(cfg.lexicon_dir, staging / LEXICON_DIR)
        (staging / ENSEMBLE_FILE).write_text(json.dumps(weights, indent=2) + "\n")
        config = json.loads(cfg.model_dump_json())
        write_manifest(staging, name=cfg.name, version=cfg.version, kind="ensemble", config=config,
                       lexicon=lexicon, metrics={})
        predictor = EnsemblePredictor(staging)
        preds = predictor.predict(texts, notes)
        metrics = referee_metrics(gold, {r["id"]: p for r, p in zip(val, preds)})
        metrics.update({"split": "validation", **weights, "train_seconds": round(time.time() - started, 1),
                        "share_needing_transformer": float(undecided(lin, weights).mean())})
        (staging / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n")
    return metrics


__all__ = ["train_ensemble", "fit_weights", "mix"]
