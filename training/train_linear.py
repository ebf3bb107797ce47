"""`buyintent train` for kind linear: calibrated intent and diversion classifiers plus a mention CRF."""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import joblib
import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from models.artifact import LEXICON_DIR, staged_folder, write_manifest
from models.features import CommentFeaturizer
from models.labels import INTENTS, LABEL2ID
from models.lexicon import Lexicon, copy_lexicon
from models.linear import LinearModel
from models.mentions import MentionTagger
from models.predictor import LINEAR_BINARY, LinearPredictor
from models.prepare import Preprocessor
from training.config import TrainConfig
from training.metrics import expected_calibration_error, referee_metrics

log = logging.getLogger(__name__)


def load_splits(data_dir: Path) -> tuple[list[dict], list[dict]]:
    """Train and validation records of a built dataset (the folder `data build` wrote)."""
    import datasets

    path = Path(data_dir) / "dataset"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `buyintent data build --config configs/data.yaml` first")
    ds = datasets.load_from_disk(str(path))
    return ds["train"].to_list(), ds["validation"].to_list()


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature minimizing validation NLL; argmax is unchanged, confidence becomes honest."""
    def nll(t):
        return -log_softmax(logits / t, axis=1)[np.arange(len(labels)), labels].mean()

    return float(minimize_scalar(nll, bounds=(0.05, 20.0), method="bounded").x)


def best_threshold(scores: np.ndarray, gold: np.ndarray, *, tolerance: float = 0.01) -> float:
    """Decision threshold for the diversion flag, chosen on validation.

    The F1 curve is flat near its top and its exact peak is noise; the median of the
    thresholds within `tolerance` of the best F1 generalizes better than the argmax.
    """
    grid = np.linspace(0.1, 0.9, 33)
    f1s = []
    for t in grid:
        pred = scores >= t
        f1s.append(2 * (pred & gold).sum() / max(pred.sum() + gold.sum(), 1))
    f1s = np.array(f1s)
    return float(np.median(grid[f1s >= f1s.max() - tolerance]))


def train_linear(cfg: TrainConfig, *, progress: bool = True) -> dict:
    """Train, calibrate, evaluate on validation and save the model folder.

    Returns:
        The validation metrics written into the folder.
    """
    from tqdm import tqdm

    started = time.time()
    train, val = load_splits(cfg.data_dir)
    lexicon = Lexicon.load(cfg.lexicon_dir)
    pre = Preprocessor(lexicon)

    def prepare(rows, desc):
        return [pre.prepare(r["text"], r.get("note")) for r in tqdm(rows, desc=desc, disable=not progress, unit="row")]

    train_items, val_items = prepare(train, "prepare train"), prepare(val, "prepare validation")
    y_train = np.array([LABEL2ID[r["intent"]] for r in train])
    y_val = np.array([LABEL2ID[r["intent"]] for r in val])
    weights = np.array([cfg.source_weights.get(r["source"].split(":")[0], 1.0) for r in train])

    featurizer = CommentFeaturizer(**cfg.features.model_dump())
    X_train = featurizer.fit_transform(train_items)
    X_val = featurizer.transform(val_items)
    log.info("features: %d columns", X_train.shape[1])

    if cfg.intent.classifier == "svm":
        intent_clf = LinearSVC(C=cfg.intent.C, class_weight=cfg.intent.class_weight,
                               max_iter=cfg.intent.max_iter, random_state=cfg.seed)
    else:
        intent_clf = LogisticRegression(C=cfg.intent.C, class_weight=cfg.intent.class_weight,
                                        max_iter=cfg.intent.max_iter, random_state=cfg.seed)
    intent_clf.fit(X_train, y_train, sample_weight=weights)
    if list(intent_clf.classes_) != list(range(len(INTENTS))):
        raise ValueError(f"training data lacks some intents: classes {intent_clf.classes_}")
    val_logits = intent_clf.decision_function(X_val)
    temperature = fit_temperature(val_logits, y_val)

    div_clf = LogisticRegression(C=cfg.diversion.C, class_weight=cfg.diversion.class_weight,
                                 max_iter=cfg.intent.max_iter, random_state=cfg.seed)
    hard_negative = np.array([r["intent"] == "spam" and not r["diversion"] for r in train])
    div_weights = weights * np.where(hard_negative, cfg.diversion.hard_negative_weight, 1.0)
    div_clf.fit(X_train, np.array([r["diversion"] for r in train]), sample_weight=div_weights)

    tagger = MentionTagger(**cfg.mentions.model_dump())
    labeled = [(p, r["mentions"]) for p, r in zip(train_items, train) if r["mentions_labeled"]]
    tagger.fit([p for p, _ in labeled], [m for _, m in labeled], lexicon)

    model = LinearModel(featurizer, intent_clf, temperature, div_clf, 0.5, tagger)
    val_scores = model.score(val_items, lexicon)
    model.diversion_threshold = best_threshold(val_scores.diversion_scores, np.array([r["diversion"] for r in val]))

    with staged_folder(cfg.output_dir) as staging:
        copy_lexicon(cfg.lexicon_dir, staging / LEXICON_DIR)
        joblib.dump(model, staging / LINEAR_BINARY, compress=3)
        config = json.loads(cfg.model_dump_json())
        write_manifest(staging, name=cfg.name, version=cfg.version, kind="linear", config=config,
                       lexicon=lexicon, metrics={})
        # Validation metrics through the saved folder: what is measured is what ships.
        predictor = LinearPredictor(staging)
        preds = predictor.predict([r["text"] for r in val], [r.get("note") for r in val])
        gold = {r["id"]: r for r in val if r["mentions_labeled"]}
        metrics = referee_metrics(gold, {r["id"]: p for r, p in zip(val, preds)})
        raw = softmax(val_logits, axis=1)
        metrics.update({
            "split": "validation", "n_train": len(train), "n_features": int(X_train.shape[1]),
            "temperature": temperature, "diversion_threshold": model.diversion_threshold,
            "ece_before_calibration": expected_calibration_error(raw, y_val),
            "ece_after_calibration": expected_calibration_error(val_scores.intent_probs, y_val),
            "train_seconds": round(time.time() - started, 1),
        })
        (staging / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n")
    return metrics
