"""Choose the default model by evidence: best dev intent macro-F1 among models fast enough to serve.

`buyintent choose-default --candidate A --candidate B ... --data ../shared/data/dev.jsonl`
scores every candidate folder on the labeled file (never trained on), measures its
single-comment latency (one comment per call, as the API's unbatched worst case), and
picks the highest intent macro-F1 whose p99 stays under the limit. With --install the
winner is copied to models/artifacts/<name> and models/artifacts/DEFAULT names it; the
evidence is written next to it (DEFAULT.json).
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np

from models.predictor import ARTIFACTS_DIR, DEFAULT_POINTER, load_predictor
from training.evaluate import predict_records, read_jsonl
from training.metrics import referee_metrics


def single_comment_latency(predictor, texts: list[str], calls: int = 400) -> dict:
    for text in texts[:20]:  # warm-up
        predictor.predict([text])
    lat = []
    for text in (texts * (calls // max(len(texts), 1) + 1))[:calls]:
        t = time.perf_counter()
        predictor.predict([text])
        lat.append((time.perf_counter() - t) * 1000)
    return {"p50_ms": round(float(np.percentile(lat, 50)), 2), "p99_ms": round(float(np.percentile(lat, 99)), 2)}


def choose_default(candidates: list[Path], data_file: Path, *, max_p99_ms: float = 20.0) -> dict:
    gold = read_jsonl(data_file)
    rows = []
    for folder in candidates:
        predictor = load_predictor(folder)
        preds = predict_records(predictor, gold)
        m = referee_metrics({g["id"]: g for g in gold}, {p["id"]: p for p in preds})
        latency = single_comment_latency(predictor, [g["text"] for g in gold])
        rows.append({"folder": str(folder), "name": predictor.name, "version": predictor.version,
                     "kind": predictor.manifest["kind"],
                     **{k: round(m[k], 4) for k in ("intent_macro_f1", "purchase_intent_f1", "diversion_f1",
                                                     "mention_f1")},
                     **latency, "eligible": latency["p99_ms"] < max_p99_ms})
    eligible = [r for r in rows if r["eligible"]]
    if not eligible:
        raise ValueError(f"no candidate has single-comment p99 under {max_p99_ms} ms: {rows}")
    chosen = max(eligible, key=lambda r: (r["intent_macro_f1"], r["purchase_intent_f1"]))
    return {"data": str(data_file), "max_p99_ms": max_p99_ms, "candidates": rows, "chosen": chosen["name"],
            "chosen_folder": chosen["folder"], "measured_at": time.strftime("%Y-%m-%d %H:%M:%S")}


def install_default(evidence: dict, artifacts: Path = ARTIFACTS_DIR) -> Path:
    """Copy the chosen folder under models/artifacts/ and point DEFAULT at it."""
    src = Path(evidence["chosen_folder"]).resolve()
    dst = (artifacts / evidence["chosen"]).resolve()
    if src != dst:
        if dst.exists():
            shutil.rmtree(dst)
        shutil.copytree(src, dst)
    (artifacts / DEFAULT_POINTER).write_text(evidence["chosen"] + "\n")
    (artifacts / (DEFAULT_POINTER + ".json")).write_text(json.dumps(evidence, ensure_ascii=False, indent=2) + "\n")
    return dst
