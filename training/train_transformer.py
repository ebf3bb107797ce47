"""`buyintent train` for kind transformer: fine-tune one encoder with intent, diversion and tag heads.

A clean torch loop (the heads and the per-source loss weights do not fit the Trainer's
single-loss mould without more code than this): length-bucketed batches, AdamW with
warmup and linear decay, early stopping on validation intent macro-F1 with the best
weights restored, fixed seeds. Then temperature calibration and the diversion threshold
on validation, export to ONNX (fp32 and int8), and validation metrics measured through
the saved folder, as for the linear kind.
"""
from __future__ import annotations

import json
import logging
import os
import random
import sys
import time

import numpy as np

from models.artifact import LEXICON_DIR, staged_folder, write_manifest
from models.labels import LABEL2ID
from models.lexicon import Lexicon, copy_lexicon
from models.mentions import gold_spans
from models.normalize import normalize
from models.transformer_inputs import IGNORE, encode, pad, token_tags
from training.config import TransformerTrainConfig
from training.metrics import expected_calibration_error, referee_metrics
from training.train_linear import best_threshold, fit_temperature, load_splits

log = logging.getLogger(__name__)


def _examples(tokenizer, rows: list[dict], max_length: int):
    norms = [normalize(r["text"]) for r in rows]
    encs = encode(tokenizer, norms, max_length)
    tags = [token_tags(e, gold_spans(n, r["mentions"])) if r["mentions_labeled"] else [IGNORE] * len(e.input_ids)
            for e, n, r in zip(encs, norms, rows)]
    return norms, encs, tags


def _epoch_batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length: shuffle, sort within windows of 64 batches, shuffle batches."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * 64
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: lengths[i])
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def _predict_logits(model, encs, pad_id: int, batch_size: int = 128):
    import torch

    from models.transformer_inputs import length_batches

    intent = np.zeros((len(encs), model.intent.out_features), dtype=np.float32)
    div = np.zeros(len(encs), dtype=np.float32)
    model.eval()
    with torch.inference_mode():
        for batch in length_batches([len(e.input_ids) for e in encs], batch_size):
            ids = torch.from_numpy(pad([encs[i].input_ids for i in batch], pad_id))
            mask = torch.from_numpy(pad([[1] * len(encs[i].input_ids) for i in batch], 0))
            out_intent, out_div, _ = model(ids, mask)
            intent[batch], div[batch] = out_intent.numpy(), out_div.numpy()
    model.train()
    return intent, div


def _macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, average="macro", labels=list(range(len(LABEL2ID))), zero_division=0))


def train_transformer(cfg: TransformerTrainConfig, *, progress: bool = True) -> dict:
    """Fine-tune, calibrate, export and save the model folder; returns its validation metrics."""
    import torch
    from scipy.special import expit, softmax
    from torch.nn import functional as F
    from tqdm import tqdm
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup
    from transformers.utils import logging as hf_logging

    from models.detectors import apply_strong_diversion, detect
    from models.multitask import MultiTaskModel
    from models.transformer_predictor import TransformerPredictor
    from training.export_onnx import export_onnx, quantize_int8

    hf_logging.disable_progress_bar()
    started = time.time()
    torch.set_num_threads(cfg.threads or os.cpu_count() or 1)
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    train, val = load_splits(cfg.data_dir)
    if cfg.max_train_examples and len(train) > cfg.max_train_examples:
        train = random.Random(cfg.seed).sample(train, cfg.max_train_examples)
        val = val[: max(50, cfg.max_train_examples // 5)]
    lexicon = Lexicon.load(cfg.lexicon_dir)
    tokenizer = AutoTokenizer.from_pretrained(cfg.model.name_or_path)
    model = MultiTaskModel.from_encoder(cfg.model.name_or_path, random_init=cfg.model.init == "random",
                                        dropout=cfg.model.dropout)
    pad_id = tokenizer.pad_token_id or 0

    _, train_encs, train_tags = _examples(tokenizer, train, cfg.max_length)
    val_norms, val_encs, _ = _examples(tokenizer, val, cfg.max_length)
    y_intent = np.array([LABEL2ID[r["intent"]] for r in train])
    y_div = np.array([float(r["diversion"]) for r in train], dtype=np.float32)
    weights = np.array([cfg.source_weights.get(r["source"].split(":")[0], 1.0) for r in train], dtype=np.float32)
    y_val = np.array([LABEL2ID[r["intent"]] for r in val])
    lengths = [len(e.input_ids) for e in train_encs]

    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not any(k in n for k in no_decay)],
         "weight_decay": cfg.weight_decay},
        {"params": [p for n, p in model.named_parameters() if any(k in n for k in no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=cfg.learning_rate)
    steps_per_epoch = (len(train) + cfg.batch_size - 1) // cfg.batch_size
    total = steps_per_epoch * cfg.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(cfg.warmup_ratio * total), total)
    eval_every = cfg.eval_every or steps_per_epoch
    rng = random.Random(cfg.seed)
    history, best = [], {"f1": -1.0, "step": 0, "state": None}
    stale, step, stop = 0, 0, False
    # A bar on a terminal; in a log file (a background run) one line per 200 steps instead.
    interactive = progress and sys.stderr.isatty()
    bar = tqdm(total=total, unit="step", desc="fine-tune", disable=not interactive)
    t0 = time.monotonic()
    model.train()
    for epoch in range(cfg.epochs):
        for batch in _epoch_batches(lengths, cfg.batch_size, rng):
            ids = torch.from_numpy(pad([train_encs[i].input_ids for i in batch], pad_id))
            mask = torch.from_numpy(pad([[1] * lengths[i] for i in batch], 0))
            tags = torch.from_numpy(pad([train_tags[i] for i in batch], IGNORE))
            w = torch.from_numpy(weights[batch])
            intent_logits, div_logits, tag_logits = model(ids, mask)
            loss_intent = (F.cross_entropy(intent_logits, torch.from_numpy(y_intent[batch]), reduction="none")
                           * w).sum() / w.sum()
            loss_div = (F.binary_cross_entropy_with_logits(div_logits, torch.from_numpy(y_div[batch]),
                                                           reduction="none") * w).sum() / w.sum()
            loss = cfg.loss_weights.intent * loss_intent + cfg.loss_weights.diversion * loss_div
            if (tags != IGNORE).any():
                loss = loss + cfg.loss_weights.tags * F.cross_entropy(
                    tag_logits.reshape(-1, tag_logits.shape[-1]), tags.reshape(-1), ignore_index=IGNORE)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            bar.update(1)
            bar.set_postfix(epoch=epoch + 1, loss=f"{loss.item():.3f}")
            if progress and not interactive and step % 200 == 0:
                log.info("step %d/%d (epoch %d): loss %.3f, %.1f steps/s", step, total, epoch + 1, loss.item(),
                         step / (time.monotonic() - t0))
            if step % eval_every == 0 or step == total:
                val_intent, _ = _predict_logits(model, val_encs, pad_id)
                f1 = _macro_f1(y_val, val_intent.argmax(1))
                history.append({"step": step, "epoch": epoch + 1, "validation_intent_macro_f1": round(f1, 4)})
                log.info("step %d: validation intent macro-F1 %.4f", step, f1)
                if f1 > best["f1"]:
                    best = {"f1": f1, "step": step,
                            "state": {k: v.detach().clone() for k, v in model.state_dict().items()}}
                    stale = 0
                else:
                    stale += 1
                    if stale >= cfg.patience:
                        stop = True
                        break
        if stop:
            break
    bar.close()
    if best["state"] is not None:
        model.load_state_dict(best["state"])
    model.eval()

    val_intent, val_div = _predict_logits(model, val_encs, pad_id)
    temperature = fit_temperature(val_intent.astype(np.float64), y_val)
    div_scores = apply_strong_diversion(expit(val_div), [detect(n) for n in val_norms])
    threshold = best_threshold(div_scores, np.array([r["diversion"] for r in val]))

    with staged_folder(cfg.output_dir) as staging:
        copy_lexicon(cfg.lexicon_dir, staging / LEXICON_DIR)
        tokenizer.save_pretrained(staging)
        model.save(staging, {"temperature": temperature, "diversion_threshold": threshold,
                             "max_length": cfg.max_length, "encoder": cfg.model.name_or_path,
                             "init": cfg.model.init})
        config = json.loads(cfg.model_dump_json())
        write_manifest(staging, name=cfg.name, version=cfg.version, kind="transformer", config=config,
                       lexicon=lexicon, metrics={})
        if cfg.onnx:
            export_onnx(model, staging)
            quantize_int8(staging)
        if not cfg.keep_torch_weights and cfg.onnx:
            (staging / "model.safetensors").unlink()
        predictor = TransformerPredictor(staging)
        preds = predictor.predict([r["text"] for r in val])
        gold = {r["id"]: r for r in val if r["mentions_labeled"]}
        metrics = referee_metrics(gold, {r["id"]: p for r, p in zip(val, preds)})
        metrics.update({
            "split": "validation", "n_train": len(train), "backend": predictor.backend,
            "encoder": cfg.model.name_or_path, "init": cfg.model.init, "best_step": best["step"], "steps": step,
            "history": history, "temperature": temperature, "diversion_threshold": threshold,
            "ece_before_calibration": expected_calibration_error(softmax(val_intent, axis=1), y_val),
            "ece_after_calibration": expected_calibration_error(softmax(val_intent / temperature, axis=1), y_val),
            "train_seconds": round(time.time() - started, 1),
        })
        (staging / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n")
    return metrics
