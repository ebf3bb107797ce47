"""A/B of the featurizer's n-gram counting: `python -m serving.bench_features [--model DIR]`.

Scores the same hand-written comments with the model's `predict`, once with the numpy
counting (models/ngram_counts.py) and once with sklearn's transforms
(models.features.sklearn_transform), alternating twice in one process, at batch sizes
1, 16 and 1024. Prints process CPU milliseconds per comment and the ratio. A benchmark,
not a test: nothing here gates CI.
"""
from __future__ import annotations

import argparse
import json
import random
import time

from models.features import CommentFeaturizer, sklearn_transform
from models.predictor import load_predictor
from training.synth import hand_written

BATCHES = {1: 1500, 16: 3200, 1024: 8192}  # batch size -> comments scored


def _cpu_ms_per_comment(predictor, texts: list[str], batch: int, n: int) -> float:
    started = time.process_time()
    for i in range(0, n, batch):
        predictor.predict(texts[i:i + batch])
    return (time.process_time() - started) * 1000 / n


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model folder (default: the shipped default)")
    args = parser.parse_args(argv)
    predictor = load_predictor(args.model)
    texts = [r["text"] for r in hand_written()]
    random.Random(0).shuffle(texts)
    numpy_transform = CommentFeaturizer.transform
    best: dict[str, dict[int, float]] = {"numpy": {}, "sklearn": {}}
    try:
        for name, transform in [("numpy", numpy_transform), ("sklearn", sklearn_transform)] * 2:
            CommentFeaturizer.transform = transform
            predictor.predict(texts[:200])  # warm caches before timing
            for batch, n in BATCHES.items():
                ms = _cpu_ms_per_comment(predictor, texts, batch, n)
                best[name][batch] = min(ms, best[name].get(batch, ms))
    finally:
        CommentFeaturizer.transform = numpy_transform
    for batch in BATCHES:
        print(json.dumps({"model": predictor.model_info, "batch": batch,
                          "numpy_cpu_ms_per_comment": round(best["numpy"][batch], 3),
                          "sklearn_cpu_ms_per_comment": round(best["sklearn"][batch], 3),
                          "speedup": round(best["sklearn"][batch] / best["numpy"][batch], 2)}))


if __name__ == "__main__":
    main()
