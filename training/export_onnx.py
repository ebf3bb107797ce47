"""Export a MultiTaskModel to ONNX (dynamic batch and length) and quantize it to int8.

Dynamic int8 quantization (weights int8, activations quantized on the fly) is the
ONNX Runtime recipe for transformer encoders on CPU: no calibration data, about 4x
smaller weights, and integer matmuls.
"""
from __future__ import annotations

import logging
from pathlib import Path

from models.transformer_predictor import ONNX_FP32, ONNX_INT8

INPUTS = ("input_ids", "attention_mask")
OUTPUTS = ("intent_logits", "diversion_logits", "tag_logits")
OPSET = 17


def export_onnx(model, folder: Path) -> Path:
    import torch

    model.eval()
    ids = torch.ones((2, 12), dtype=torch.long)
    mask = torch.ones((2, 12), dtype=torch.long)
    path = Path(folder) / ONNX_FP32
    axes = {name: {0: "batch", 1: "length"} for name in INPUTS}
    axes.update({"intent_logits": {0: "batch"}, "diversion_logits": {0: "batch"},
                 "tag_logits": {0: "batch", 1: "length"}})
    with torch.inference_mode():
        # The TorchScript exporter: stable for BERT-family graphs with dynamic axes.
        torch.onnx.export(model, (ids, mask), str(path), input_names=list(INPUTS), output_names=list(OUTPUTS),
                          dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    return path


def quantize_int8(folder: Path) -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    src, dst = Path(folder) / ONNX_FP32, Path(folder) / ONNX_INT8
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)  # the quantizer logs one INFO line per tensor on the root logger
    try:
        quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)
    return dst
