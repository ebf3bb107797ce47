"""`buyintent bench --suite transformer`: a plain transformers pipeline vs our torch and ONNX int8 predictors.

Same fine-tuned model folder, same comments, same machine, one run. The pipeline is what
a user gets from `transformers.pipeline("text-classification")` on the torch weights: a
sequence-classification model built on the very same encoder weights (its head differs
from ours by one pooler layer, a negligible cost beside the encoder), fed raw text.
Ours: normalized text, fast tokenizer built once, length-bucketed dynamic padding; then
torch, or ONNX Runtime with the int8 graph. A benchmark: it prints numbers, gates nothing.
"""
from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Callable

import numpy as np

from serving.bench import synthetic_comments


def bench_texts(rows: int, seed: int = 0) -> list[str]:
    """Dev-like comments of mixed lengths: hand-written comments, a fifth of them run together."""
    base = [r["text"] for r in synthetic_comments(rows * 2, seed)]
    rng = random.Random(seed)
    out = []
    for i in range(rows):
        text = base[i]
        if rng.random() < 0.2:  # longer comments: two or three thoughts in one
            text = "，".join(rng.sample(base, rng.choice((2, 3))))
        out.append(text)
    return out


def _time(call: Callable[[list[str]], object], texts: list[str], batch_size: int) -> dict:
    chunks = [texts[i:i + batch_size] for i in range(0, len(texts), batch_size)]
    call(chunks[0])  # warm-up: first-call allocations and lazy initialization
    latencies = []
    started = time.perf_counter()
    for chunk in chunks:
        t = time.perf_counter()
        call(chunk)
        latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - started
    lat = np.array(latencies) * 1000
    return {"comments_per_s": round(len(texts) / elapsed, 1), "p50_ms": round(float(np.percentile(lat, 50)), 2),
            "p99_ms": round(float(np.percentile(lat, 99)), 2)}


def plain_pipeline(folder: Path, max_length: int):
    """transformers.pipeline("text-classification") on the folder's torch encoder weights."""
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer, pipeline

    from models.multitask import MultiTaskModel

    multitask, _ = MultiTaskModel.load(folder)
    config = AutoConfig.from_pretrained(folder, num_labels=6)
    model = AutoModelForSequenceClassification.from_config(config)
    model.base_model.load_state_dict(multitask.encoder.state_dict(), strict=False)
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    pipe = pipeline("text-classification", model=model, tokenizer=tokenizer, device="cpu")
    return lambda texts: pipe(texts, batch_size=len(texts), truncation=True, max_length=max_length)


def bench_transformer(model: str | Path, *, rows: int = 5000, batch_sizes=(1, 8, 64)) -> list[dict]:
    from transformers.utils import logging as hf_logging

    from models.predictor import load_predictor

    hf_logging.set_verbosity_error()
    folder = Path(model)
    texts = bench_texts(rows)
    results = []
    for bs in batch_sizes:
        # bs is the call size; our predictors bucket each call by length internally.
        torch_pred = load_predictor(folder, backend="torch")
        onnx_pred = load_predictor(folder, backend="onnx-int8")
        systems = {
            "pipeline": plain_pipeline(folder, torch_pred.max_length),
            "torch_predictor": torch_pred.predict,
            "onnx_int8_predictor": onnx_pred.predict,
        }
        row = {"batch_size": bs, "rows": rows}
        for name, call in systems.items():
            row[name] = _time(call, texts, bs)
        base = row["pipeline"]["comments_per_s"]
        for name in ("torch_predictor", "onnx_int8_predictor"):
            row[name]["ratio_to_pipeline"] = round(row[name]["comments_per_s"] / base, 2)
        results.append(row)
    return results
