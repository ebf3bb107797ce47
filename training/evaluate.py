"""`buyintent evaluate`: official metrics, a confusion matrix, per-domain results, false alarms."""
from __future__ import annotations

import collections
import csv
import json
from pathlib import Path

import orjson

from models.labels import ASK_INTENTS, INTENTS
from models.predictor import Predictor
from training.metrics import referee_metrics


def read_jsonl(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def predict_records(predictor: Predictor, records: list[dict], batch_size: int = 512) -> list[dict]:
    preds = []
    for i in range(0, len(records), batch_size):
        chunk = records[i:i + batch_size]
        preds += predictor.predict([r["text"] for r in chunk], [r.get("note") for r in chunk])
    return [{"id": r["id"], **p} for r, p in zip(records, preds)]


def per_domain(gold: list[dict], preds: dict[str, dict]) -> list[dict]:
    rows = []
    for domain in sorted({g.get("domain", "other") for g in gold}):
        subset = {g["id"]: g for g in gold if g.get("domain", "other") == domain}
        m = referee_metrics(subset, preds)
        rows.append({"domain": domain, "n": m["n"], "intent_macro_f1": round(m["intent_macro_f1"], 4),
                     "intent_accuracy": round(m["intent_accuracy"], 4),
                     "purchase_intent_f1": round(m["purchase_intent_f1"], 4),
                     "diversion_f1": round(m["diversion_f1"], 4), "mention_f1": round(m["mention_f1"], 4)})
    return rows


def confusion_png(gold: list[dict], preds: dict[str, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    idx = {label: i for i, label in enumerate(INTENTS)}
    matrix = np.zeros((len(INTENTS), len(INTENTS)), dtype=int)
    for g in gold:
        matrix[idx[g["intent"]], idx[preds[g["id"]]["intent"]]] += 1
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(INTENTS)), INTENTS, rotation=45, ha="right")
    ax.set_yticks(range(len(INTENTS)), INTENTS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    for i in range(len(INTENTS)):
        for j in range(len(INTENTS)):
            ax.text(j, i, matrix[i, j], ha="center", va="center",
                    color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    ax.set_title("intent confusion matrix")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def evaluate(predictor: Predictor, data_file: str | Path, out_dir: str | Path) -> dict:
    """Score a labeled file and write metrics.json, per_domain.csv, confusion_matrix.png, predictions.jsonl."""
    gold = read_jsonl(data_file)
    preds = predict_records(predictor, gold)
    by_id = {p["id"]: p for p in preds}
    metrics = referee_metrics({g["id"]: g for g in gold}, by_id)
    metrics["model"] = {"name": predictor.name, "version": predictor.version}
    metrics["data"] = str(data_file)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n")
    with (out / "predictions.jsonl").open("wb") as fh:
        fh.write(b"".join(orjson.dumps(p) + b"\n" for p in preds))
    domains = per_domain(gold, by_id)
    with (out / "per_domain.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(domains[0]))
        writer.writeheader()
        writer.writerows(domains)
    confusion_png(gold, by_id, out / "confusion_matrix.png")
    metrics["per_domain"] = domains
    return metrics


def false_alarms(predictor: Predictor, holdout_file: str | Path) -> dict:
    """Share of real posts predicted ask_* or spam, per corpus kind (reviews, weibo) and corpus."""
    rows = read_jsonl(holdout_file)
    preds = predict_records(predictor, rows)
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for r, p in zip(rows, preds):
        for key in (r.get("kind", "all"), f"{r.get('kind', 'all')}/{r.get('corpus', '?')}"):
            counts[key]["n"] += 1
            counts[key]["ask"] += p["intent"] in ASK_INTENTS
            counts[key]["spam"] += p["intent"] == "spam"
            counts[key]["buying"] += p["intent"] not in ("none", "spam")
    return {k: {"n": c["n"], "ask_rate": c["ask"] / c["n"], "spam_rate": c["spam"] / c["n"],
                "buying_rate": c["buying"] / c["n"]} for k, c in sorted(counts.items())}
