"""Throughput benchmark of file scoring: `buyintent bench` / `make bench`."""
from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path

from models.predictor import load_predictor
from serving.parallel import default_workers
from serving.score import score_file
from training.synth import hand_written

def synthetic_comments(n: int, seed: int = 0) -> list[dict]:
    """The project's hand-written comments, cycled with small variations so that the
    benchmark sees realistic lengths and characters without any caching effects."""
    texts = [r["text"] for r in hand_written()]
    rng = random.Random(seed)
    suffixes = ["", "", "！", "～", "😭", "🙏", "哈哈", " ", "？？", "呀"]
    return [{"id": str(i), "text": rng.choice(texts) + rng.choice(suffixes)} for i in range(n)]


def bench_score(rows: int, model: str | Path | None = None, *, batch_size: int = 1024) -> list[dict]:
    """Score `rows` synthetic comments JSONL -> JSONL, with one process and with all cores.

    Model loading and worker start-up are excluded; the single-process run is the baseline
    the parallel run is compared with, measured in the same invocation.
    """
    t0 = time.perf_counter()
    predictor = load_predictor(model)
    load_seconds = time.perf_counter() - t0
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        with src.open("w", encoding="utf-8") as fh:
            for r in synthetic_comments(rows):
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        # All cores first: the forked workers must start their own runtimes (ONNX Runtime
        # does not survive fork once started); each warms up in the pool before timing.
        for workers in sorted({1, default_workers()}, reverse=True):
            if workers == 1:
                predictor.predict(["预热一下"])  # first-call costs (dictionaries, caches) are not throughput
            summary = score_file(src, dst, predictor, batch_size=batch_size, workers=workers, progress=False)
            results.insert(0, {"rows": rows, "workers": workers, "batch_size": batch_size,
                               "model": predictor.model_info, "load_seconds": round(load_seconds, 2),
                               "score_seconds": round(summary.seconds, 2), "rows_per_second": round(summary.rate)})
    base = results[0]["rows_per_second"]
    for r in results:
        r["ratio_to_one_process"] = round(r["rows_per_second"] / base, 2) if base else None
    return results
