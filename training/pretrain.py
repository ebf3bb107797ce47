"""Masked-LM pretraining of buyintent's own character encoder, resumable, exported in HF format.

No model hub is reachable, so the project pretrains its own small BERT on real text
(../shared/corpora, minus the slice held out for false-alarm evaluation) and the data
build's training comments. Texts are normalized with models.normalize (the serving
definition), packed into fixed-length sequences, and masked by whole jieba words.

Layout of `output_dir`:
  checkpoint/   model, optimizer, scheduler, RNG and history of the last checkpoint (resume)
  encoder/      the latest encoder in Hugging Face format (config.json, model.safetensors,
                tokenizer.json, vocab.txt), README.md model card, loss_curve.png, pretrain.json
  data.pt       the packed, tokenized corpus (rebuilt when the data settings change)
"""
from __future__ import annotations

import json
import logging
import math
import os
import random
import shutil
import signal
import sys
import time
from pathlib import Path

from models.char_tokenizer import SPECIAL_TOKENS
from training.config import PretrainConfig
# Corpus is re-exported so pickled corpora (data.pt) written before the split still load.
from training.pretrain_data import Corpus, load_or_build_corpus, mask_batch  # noqa: F401

log = logging.getLogger("buyintent.pretrain")

MASK_ID = SPECIAL_TOKENS.index("[MASK]")
CHECKPOINT = "checkpoint"
ENCODER = "encoder"


def build_model(config: PretrainConfig, vocab_size: int):
    from transformers import BertConfig, BertForMaskedLM

    shape = config.encoder
    bert = BertConfig(vocab_size=vocab_size, hidden_size=shape.hidden_size, num_hidden_layers=shape.num_hidden_layers,
                      num_attention_heads=shape.num_attention_heads, intermediate_size=shape.intermediate_size,
                      max_position_embeddings=shape.max_position_embeddings, hidden_dropout_prob=shape.dropout,
                      attention_probs_dropout_prob=shape.dropout, pad_token_id=0, type_vocab_size=2)
    return BertForMaskedLM(bert)


def evaluate_mlm(model, corpus: Corpus, config: PretrainConfig) -> dict:
    """Masked-token accuracy and loss on held-out text, with a fixed mask (comparable across steps)."""
    import torch

    gen = torch.Generator().manual_seed(1234)
    model.eval()
    correct = total = 0
    loss_sum = 0.0
    n = min(len(corpus.eval_ids), config.eval_batches * config.batch_size)
    with torch.no_grad():
        for start in range(0, n, config.batch_size):
            ids = corpus.eval_ids[start:start + config.batch_size]
            words = corpus.eval_words[start:start + config.batch_size]
            inputs, labels = mask_batch(ids, words, mask_id=MASK_ID, vocab_size=len(corpus.vocab),
                                        n_special=len(SPECIAL_TOKENS),
                                        prob=config.mask_prob, whole_word=config.whole_word_masking, generator=gen)
            out = model(input_ids=inputs, attention_mask=(ids != 0).long(), labels=labels)
            sel = labels != -100
            correct += int((out.logits.argmax(-1)[sel] == labels[sel]).sum())
            total += int(sel.sum())
            loss_sum += float(out.loss) * int(sel.sum())
    model.train()
    return {"masked_accuracy": correct / max(total, 1), "loss": loss_sum / max(total, 1), "masked_tokens": total}


def _lr_lambda(config: PretrainConfig):
    def fn(step: int) -> float:
        if step < config.warmup_steps:
            return (step + 1) / max(config.warmup_steps, 1)
        progress = (step - config.warmup_steps) / max(config.max_steps - config.warmup_steps, 1)
        return max(0.0, 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))
    return fn


def _save_checkpoint(out: Path, model, optimizer, scheduler, state: dict) -> None:
    import torch

    tmp = out / (CHECKPOINT + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.save_pretrained(tmp)
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "torch_rng": torch.get_rng_state(), "python_rng": random.getstate()}, tmp / "trainer_state.pt")
    (tmp / "state.json").write_text(json.dumps(state, indent=1))
    final = out / CHECKPOINT
    old = out / (CHECKPOINT + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)  # the checkpoint appears whole or not at all
    shutil.rmtree(old, ignore_errors=True)


def export_encoder(config: PretrainConfig, model, corpus: Corpus, state: dict) -> Path:
    """Write the encoder in HF format with its tokenizer and model card."""
    from models.char_tokenizer import save_vocab, tokenizer_from_vocab

    out = Path(config.output_dir)
    tmp = out / (ENCODER + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.save_pretrained(tmp)
    tokenizer = tokenizer_from_vocab(corpus.vocab)
    tokenizer.save_pretrained(tmp)
    save_vocab(corpus.vocab, tmp / "vocab.txt")
    summary = {k: state[k] for k in ("step", "wall_seconds", "examples_seen") if k in state}
    summary.update({"evals": state.get("evals", []), "config": json.loads(config.model_dump_json()),
                    "texts": corpus.n_texts, "eval_texts": corpus.n_eval_texts,
                    "train_sequences": len(corpus.train_ids), "vocab_size": len(corpus.vocab),
                    "unk_rate_dev": corpus.unk_rate_dev})
    (tmp / "pretrain.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    _plot(state, tmp / "loss_curve.png")
    (tmp / "README.md").write_text(_model_card(config, summary), encoding="utf-8")
    final = out / ENCODER
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    return final


def _plot(state: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    losses = state.get("losses", [])
    fig, ax = plt.subplots(figsize=(7, 4))
    if losses:
        ax.plot([s for s, _ in losses], [v for _, v in losses], label="train loss (mean of 50 steps)")
    evals = state.get("evals", [])
    if evals:
        ax.plot([e["step"] for e in evals], [e["loss"] for e in evals], "o-", label="held-out loss")
        ax2 = ax.twinx()
        ax2.plot([e["step"] for e in evals], [e["masked_accuracy"] for e in evals], "s--", color="tab:green",
                 label="held-out masked accuracy")
        ax2.set_ylabel("masked-token accuracy")
        ax2.legend(loc="center right")
    ax.set_xlabel("step")
    ax.set_ylabel("MLM loss")
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _model_card(config: PretrainConfig, s: dict) -> str:
    last = s["evals"][-1] if s.get("evals") else {}
    shape = config.encoder
    hours = s.get("wall_seconds", 0) / 3600
    unk = f"{s['unk_rate_dev']:.3%}" if s.get("unk_rate_dev") is not None else "not measured"
    return f"""---
language: zh
library_name: transformers
tags: [bert, fill-mask, chinese, character-level]
---
# {config.name}

A small BERT-style character encoder for Chinese social-media comments, pretrained by
buyintent offline with masked-language modelling (`buyintent pretrain --config configs/pretrain.yaml`).
Load it with `AutoModel.from_pretrained(path)` and `AutoTokenizer.from_pretrained(path)`; feed it
text normalized with `models.normalize` (simplified, lower case, obfuscations folded).

## Architecture
BERT, {shape.num_hidden_layers} layers, hidden {shape.hidden_size}, {shape.num_attention_heads} heads,
intermediate {shape.intermediate_size}, {shape.max_position_embeddings} positions; vocabulary of
{s['vocab_size']} characters (CJK, Latin letters, digits, emoji, symbols: one token per character).
[UNK] rate on ../shared/data/dev.jsonl: {unk}.

## Data
{s['texts']:,} distinct normalized texts: real reviews and Weibo posts from ../shared/corpora
({', '.join(config.data.corpora)}; the {config.data.false_alarm_holdout:.0%} slice held out for
false-alarm evaluation excluded) and the training split of the labeled data build
(never its validation split, never dev.jsonl). Packed into {s['train_sequences']:,} sequences of
{config.seq_len} tokens. {s['eval_texts']:,} texts (a {config.data.eval_fraction:.0%} hash slice)
are held out for the accuracy below.

## Training
{"Whole-word masking (jieba words with the project lexicon)" if config.whole_word_masking
 else "Per-character masking"} of {config.mask_prob:.0%} of tokens, 80/10/10; AdamW lr {config.learning_rate},
warmup {config.warmup_steps}, cosine decay to step {config.max_steps}; batch {config.batch_size}.
Steps so far: {s.get('step', 0):,} ({s.get('examples_seen', 0):,} sequences), wall time {hours:.2f} h.

## Held-out masked-token accuracy
{last.get('masked_accuracy', float('nan')):.1%} at step {last.get('step', 0):,} (loss {last.get('loss', float('nan')):.3f},
{last.get('masked_tokens', 0):,} masked tokens, fixed mask). Curve: loss_curve.png; every evaluation: pretrain.json.

## Limits
Small and pretrained on a 2-core CPU: a starting point for fine-tuning buyintent's heads,
not a general Chinese language model.
"""


def pretrain(config: PretrainConfig, *, max_minutes: float | None = None, progress: bool = True) -> Path:
    """Run (or resume) pretraining until max_steps, a time limit or SIGTERM/SIGINT; export the encoder."""
    import torch
    from tqdm import tqdm

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # one bar per checkpoint write drowns the training bar
    torch.set_num_threads(config.threads or os.cpu_count() or 1)
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    corpus = load_or_build_corpus(config)
    log.info("corpus: %d texts, %d training sequences, vocabulary %d, dev [UNK] rate %s",
             corpus.n_texts, len(corpus.train_ids), len(corpus.vocab), corpus.unk_rate_dev)
    torch.manual_seed(config.seed)
    random.seed(config.seed)
    model = build_model(config, len(corpus.vocab))
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not any(k in n for k in no_decay)],
         "weight_decay": config.weight_decay},
        {"params": [p for n, p in model.named_parameters() if any(k in n for k in no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=config.learning_rate)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_lambda(config))
    state = {"step": 0, "wall_seconds": 0.0, "examples_seen": 0, "losses": [], "evals": [],
             "config": json.loads(config.model_dump_json())}
    ckpt = out / CHECKPOINT
    if (ckpt / "state.json").is_file():
        from safetensors.torch import load_file

        saved = json.loads((ckpt / "state.json").read_text())
        if saved.get("config", {}).get("encoder") != state["config"]["encoder"]:
            raise ValueError(f"{ckpt}: checkpoint has another encoder shape; use a new output_dir")
        model.load_state_dict(load_file(ckpt / "model.safetensors"), strict=False)
        model.tie_weights()
        trainer_state = torch.load(ckpt / "trainer_state.pt", weights_only=False)
        optimizer.load_state_dict(trainer_state["optimizer"])
        scheduler.load_state_dict(trainer_state["scheduler"])
        torch.set_rng_state(trainer_state["torch_rng"])
        random.setstate(trainer_state["python_rng"])
        state.update({k: saved[k] for k in ("step", "wall_seconds", "examples_seen", "losses", "evals")})
        log.info("resuming from %s at step %d", ckpt, state["step"])
    stop = {"now": False}

    def request_stop(signum, frame):
        stop["now"] = True

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    deadline = time.monotonic() + max_minutes * 60 if max_minutes else None
    gen = torch.Generator().manual_seed(config.seed + state["step"])
    n_train = len(corpus.train_ids)
    model.train()
    # A bar on a terminal; in a log file (a background run) one line per 100 steps instead.
    interactive = progress and sys.stderr.isatty()
    bar = tqdm(total=config.max_steps, initial=state["step"], unit="step", desc="pretrain", disable=not interactive)
    window: list[float] = []
    first_step = state["step"]
    started = time.monotonic()
    base_wall = state["wall_seconds"]
    try:
        while state["step"] < config.max_steps and not stop["now"]:
            if deadline and time.monotonic() > deadline:
                break
            # Epochs are deterministic permutations, so a resumed run sees the order it would have.
            epoch, offset = divmod(state["step"] * config.batch_size, n_train)
            order = torch.randperm(n_train, generator=torch.Generator().manual_seed(config.seed + epoch))
            idx = order[offset:offset + config.batch_size]
            ids, words = corpus.train_ids[idx], corpus.train_words[idx]
            inputs, labels = mask_batch(ids, words, mask_id=MASK_ID, vocab_size=len(corpus.vocab),
                                        n_special=len(SPECIAL_TOKENS),
                                        prob=config.mask_prob, whole_word=config.whole_word_masking, generator=gen)
            loss = model(input_ids=inputs, attention_mask=(ids != 0).long(), labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            state["step"] += 1
            state["examples_seen"] += len(idx)
            window.append(loss.item())
            if len(window) == 50:
                state["losses"].append((state["step"], sum(window) / 50))
                window = []
                if progress and not interactive and state["step"] % 100 == 0:
                    log.info("step %d/%d: loss %.3f, lr %.2e, %.2f s/step", state["step"], config.max_steps,
                             state["losses"][-1][1], scheduler.get_last_lr()[0],
                             (time.monotonic() - started) / max(state["step"] - first_step, 1))
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}", lr=f"{scheduler.get_last_lr()[0]:.1e}")
            state["wall_seconds"] = base_wall + time.monotonic() - started
            if state["step"] % config.eval_every == 0:
                result = {"step": state["step"], **evaluate_mlm(model, corpus, config)}
                state["evals"].append(result)
                log.info("step %d: held-out masked accuracy %.3f, loss %.3f", state["step"],
                         result["masked_accuracy"], result["loss"])
            if state["step"] % config.checkpoint_every == 0:
                _save_checkpoint(out, model, optimizer, scheduler, state)
                export_encoder(config, model, corpus, state)
    finally:
        bar.close()
        for s, handler in previous.items():
            signal.signal(s, handler)
    if not state["evals"] or state["evals"][-1]["step"] != state["step"]:
        state["evals"].append({"step": state["step"], **evaluate_mlm(model, corpus, config)})
    _save_checkpoint(out, model, optimizer, scheduler, state)
    return export_encoder(config, model, corpus, state)
