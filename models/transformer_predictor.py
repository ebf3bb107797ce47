"""Scores comments with a fine-tuned multi-task transformer, on ONNX Runtime by default.

Serving path: normalize (models.normalize) -> fast tokenizer (built once) -> batches of
similar length, padded only to their own longest row -> ONNX Runtime int8 model (or
torch) -> calibrated intent probabilities, diversion (strong detectors as in every
kind), BIO tags decoded to verbatim mentions.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy.special import expit, softmax

from models.artifact import ArtifactError, read_manifest
from models.detectors import apply_strong_diversion, detect
from models.lexicon import Lexicon
from models.mentions import spans_to_mentions
from models.multitask import HEADS_FILE, WEIGHTS_FILE
from models.normalize import normalize
from models.scores import ModelScores, to_results
from models.transformer_inputs import encode, length_batches, pad, tags_to_spans

ONNX_INT8 = "model.int8.onnx"
ONNX_FP32 = "model.onnx"
BACKENDS = ("auto", "onnx-int8", "onnx", "torch")


def _env_threads() -> int | None:
    """OMP_NUM_THREADS when set (Ray sets it per actor), else None: every core."""
    value = os.environ.get("OMP_NUM_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


class TransformerPredictor:
    """A saved transformer folder behind the Predictor interface.

    backend: "auto" (int8 ONNX if present, else fp32 ONNX, else torch), or one of them.
    batch_size: rows per runtime call inside one predict(). Small on purpose: texts are
    sorted by length first, so small batches carry almost no padding; on 2 cores 8 rows
    per call cost 0.79 ms/comment against 1.64 ms with 64 (64-comment calls, hand-written
    comments, int8).
    """

    def __init__(self, folder: str | Path, checked: tuple[dict, Lexicon] | None = None, *,
                 backend: str = "auto", batch_size: int = 8, threads: int | None = None):
        from transformers import AutoTokenizer

        self.folder = Path(folder)
        self.manifest, self.lexicon = checked or read_manifest(self.folder)
        if self.manifest["kind"] != "transformer":
            raise ArtifactError(f"{folder}: kind {self.manifest['kind']!r} is not 'transformer'")
        if backend not in BACKENDS:
            raise ValueError(f"backend: {backend!r} is not one of {BACKENDS}")
        try:
            self.heads = json.loads((self.folder / HEADS_FILE).read_text())
            self.tokenizer = AutoTokenizer.from_pretrained(self.folder)
        except (OSError, ValueError) as exc:
            raise ArtifactError(f"{self.folder}: cannot load tokenizer or heads ({exc})") from exc
        self.name, self.version = self.manifest["name"], self.manifest["version"]
        self.temperature = float(self.heads["temperature"])
        self.max_length = int(self.heads["max_length"])
        self.batch_size = batch_size
        self.pad_id = self.tokenizer.pad_token_id or 0
        self.backend = self._pick_backend(backend)
        self.threads = threads or _env_threads()
        self._origin_pid = os.getpid()
        self._pid: int | None = None
        self._run = None

    def _ensure_process(self) -> None:
        """Start the runtime on first use in each process.

        Lazy on purpose: a process that forks scoring workers (`buyintent score`, the batch
        job) must not start ONNX Runtime itself. Measured here: a child forked from a
        process holding a session with the default thread pool never finished creating its
        own. Forked workers get one thread each, so N workers do not oversubscribe the cores.
        """
        if self._run is not None and os.getpid() == self._pid:
            return
        forked = os.getpid() != self._origin_pid
        threads = self.threads or (1 if forked else None)
        self._run = self._load_onnx(threads) if self.backend.startswith("onnx") else self._load_torch(threads)
        self._pid = os.getpid()

    def _pick_backend(self, backend: str) -> str:
        files = {"onnx-int8": ONNX_INT8, "onnx": ONNX_FP32, "torch": WEIGHTS_FILE}
        if backend == "auto":
            for name in ("onnx-int8", "onnx", "torch"):
                if (self.folder / files[name]).is_file():
                    return name
            raise ArtifactError(f"{self.folder}: no {ONNX_INT8}, {ONNX_FP32} or {WEIGHTS_FILE}")
        if not (self.folder / files[backend]).is_file():
            raise ArtifactError(f"{self.folder}: backend {backend} needs {files[backend]}, which is missing")
        return backend

    def _load_onnx(self, threads: int | None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        # ONNX Runtime's worker threads spin while waiting for work by default: in a server or
        # next to the linear member they burn the cores the event loop and jieba need.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        path = self.folder / (ONNX_INT8 if self.backend == "onnx-int8" else ONNX_FP32)
        try:
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types for a truncated or foreign file
            raise ArtifactError(f"{path}: cannot load ({exc})") from exc

        def run(ids: np.ndarray, mask: np.ndarray):
            return session.run(None, {"input_ids": ids, "attention_mask": mask})
        return run

    def _load_torch(self, threads: int | None):
        import torch

        from models.multitask import MultiTaskModel

        if threads:
            torch.set_num_threads(threads)
        try:
            model, _ = MultiTaskModel.load(self.folder)
        except Exception as exc:
            raise ArtifactError(f"{self.folder}: cannot load torch weights ({exc})") from exc

        def run(ids: np.ndarray, mask: np.ndarray):
            with torch.inference_mode():
                out = model(torch.from_numpy(ids), torch.from_numpy(mask))
            return [t.numpy() for t in out]
        return run

    @property
    def model_info(self) -> dict:
        return {"name": self.name, "version": self.version}

    @property
    def diversion_threshold(self) -> float:
        return float(self.heads["diversion_threshold"])

    def logits(self, texts: Sequence[str]):
        """Raw (intent logits, diversion logits, tag ids, encodings, normalized texts) in input order."""
        self._ensure_process()
        norms = [normalize(t) for t in texts]
        encs = encode(self.tokenizer, norms, self.max_length)
        n = len(texts)
        intent = np.zeros((n, len(self.manifest["labels"])), dtype=np.float32)
        div = np.zeros(n, dtype=np.float32)
        tags: list = [None] * n
        for batch in length_batches([len(e.input_ids) for e in encs], self.batch_size):
            ids = pad([encs[i].input_ids for i in batch], self.pad_id)
            mask = pad([[1] * len(encs[i].input_ids) for i in batch], 0)
            out_intent, out_div, out_tags = self._run(ids, mask)
            intent[batch], div[batch] = out_intent, out_div
            tag_ids = out_tags.argmax(-1)
            for row, i in enumerate(batch):
                tags[i] = tag_ids[row]
        return intent, div, tags, encs, norms

    def scores(self, texts: Sequence[str], notes: Sequence[str | None] | None = None, *,
               mentions: bool = True) -> ModelScores:
        intent, div, tags, encs, norms = self.logits(texts)
        probs = softmax(intent / self.temperature, axis=1)
        div_scores = apply_strong_diversion(expit(div), [detect(n) for n in norms])
        found = ([spans_to_mentions(n, tags_to_spans(e, t)) for n, e, t in zip(norms, encs, tags)]
                 if mentions else [[] for _ in norms])
        return ModelScores(probs, div_scores, found)

    def predict(self, texts: Sequence[str], notes: Sequence[str | None] | None = None) -> list[dict]:
        if not texts:
            return []
        return to_results(self.scores(texts, notes), self.diversion_threshold, self.model_info)
