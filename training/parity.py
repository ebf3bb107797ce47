"""ONNX parity on a labeled file: fp32 ONNX vs torch probabilities, int8 vs fp32 intents.

`make parity` (python -m training.parity --model runs/transformer --data dev.jsonl).
"""
from __future__ import annotations

import argparse
import json

import numpy as np

from models.predictor import load_predictor
from training.evaluate import read_jsonl


def parity(model: str, data: str) -> dict:
    texts = [r["text"] for r in read_jsonl(data)]

    def probs(backend):
        rows = load_predictor(model, backend=backend).predict(texts)
        return np.array([list(r["intent_scores"].values()) for r in rows])

    torch_p, fp32, int8 = probs("torch"), probs("onnx"), probs("onnx-int8")
    return {"rows": len(texts), "max_abs_diff_onnx_fp32_vs_torch": float(np.abs(torch_p - fp32).max()),
            "int8_vs_fp32_intent_agreement": float((fp32.argmax(1) == int8.argmax(1)).mean()),
            "max_abs_diff_int8_vs_fp32": float(np.abs(int8 - fp32).max())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    args = parser.parse_args()
    print(json.dumps(parity(args.model, args.data)))


if __name__ == "__main__":
    main()
