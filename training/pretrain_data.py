"""What the encoder reads: normalized pretraining texts, the character vocabulary, packed
sequences with whole-word ids, and BERT masking.

Kept apart from the training loop (training/pretrain.py) so the corpus can be rebuilt,
inspected and tested on its own; the packed corpus is cached as `output_dir/data.pt` and
rebuilt whenever the data settings (`corpus_key`) change.
"""
from __future__ import annotations

import json
import logging
import os
import random
from dataclasses import dataclass
from pathlib import Path

from training.config import PretrainConfig

log = logging.getLogger("buyintent.pretrain")


def corpus_key(config: PretrainConfig) -> dict:
    d = config.data
    return {"corpora": d.corpora, "build_train": str(d.build_train), "holdout": d.false_alarm_holdout,
            "eval_fraction": d.eval_fraction, "max_chars": d.max_chars, "seq_len": config.seq_len,
            "vocab_min_count": config.vocab_min_count, "vocab_max_size": config.vocab_max_size,
            "lexicon": str(config.lexicon_dir)}


def _in_eval(text: str, fraction: float) -> bool:
    import hashlib

    bucket = int.from_bytes(hashlib.blake2b(b"mlm-eval:" + text.encode(), digest_size=8).digest(), "big")
    return bucket % 10_000 < fraction * 10_000


def read_texts(config: PretrainConfig) -> tuple[list[str], set[str]]:
    """Normalized pretraining texts (corpora pools without the held-out slice, build train
    texts) and the set of characters of the labeled comments."""
    from models.normalize import normalize_text
    from training.corpora import split_corpus

    raw: list[str] = []
    labeled: list[str] = []
    for name in config.data.corpora:
        pool, _ = split_corpus(config.data.corpora_dir, name, config.data.false_alarm_holdout, config.data.max_chars)
        raw.extend(item.text for item in pool)
    if config.data.build_train is not None:
        path = Path(config.data.build_train)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: run `buyintent data build --config configs/data.yaml` first "
                                    "or set data.build_train: null")
        with path.open(encoding="utf-8") as fh:
            labeled = [json.loads(line)["text"] for line in fh if line.strip()]
    raw.extend(labeled)
    seen, texts = set(), []
    for text in raw:
        norm = normalize_text(text).strip()
        if norm and norm not in seen:
            seen.add(norm)
            texts.append(norm)
    return texts, {c for t in labeled for c in normalize_text(t)}


def _word_ids(segmenter, text: str) -> list[int]:
    """Per character, the index of the jieba word it belongs to (for whole-word masking)."""
    ids = [0] * len(text)
    for w, (_, start, end) in enumerate(segmenter.cut(text)):
        for i in range(start, end):
            ids[i] = w
    return ids


def pack(tokenizer, segmenter, texts: list[str], seq_len: int) -> tuple[list[list[int]], list[list[int]]]:
    """Pack texts, separated by [SEP], into [CLS] ... [SEP] sequences of exactly seq_len tokens.

    Returns token ids and, per token, a word id unique across the corpus (-1 for specials),
    so masking can take whole words.
    """
    cls, sep, pad = tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id
    body = seq_len - 2
    seqs, words = [], []
    cur_ids, cur_words = [], []
    next_word = 0

    def flush():
        ids = [cls] + cur_ids[:body] + [sep]
        wid = [-1] + cur_words[:body] + [-1]
        ids += [pad] * (seq_len - len(ids))
        wid += [-1] * (seq_len - len(wid))
        seqs.append(ids)
        words.append(wid)

    for text in texts:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        chars = [c for c in text if not c.isspace()]
        if len(chars) != len(ids):  # whitespace handling differs: fall back to one word per token
            wid = list(range(len(ids)))
        else:
            nonspace = [i for i, c in enumerate(text) if not c.isspace()]
            per_char = _word_ids(segmenter, text)
            wid = [per_char[i] for i in nonspace]
        wid = [next_word + w for w in wid]
        next_word = (max(wid) + 1) if wid else next_word
        while ids:
            room = body - len(cur_ids)
            if cur_ids:
                if room <= 1:
                    flush()
                    cur_ids, cur_words = [], []
                    continue
                cur_ids.append(sep)
                cur_words.append(-1)
                room -= 1
            take = ids[:room]
            cur_ids += take
            cur_words += wid[:room]
            ids, wid = ids[room:], wid[room:]
            if len(cur_ids) >= body:
                flush()
                cur_ids, cur_words = [], []
    if cur_ids:
        flush()
    return seqs, words


@dataclass
class Corpus:
    train_ids: "object"
    train_words: "object"
    eval_ids: "object"
    eval_words: "object"
    vocab: list[str]
    n_texts: int
    n_eval_texts: int
    unk_rate_dev: float | None


def build_corpus(config: PretrainConfig) -> Corpus:
    import torch

    from models.char_tokenizer import build_vocab, tokenizer_from_vocab, unk_rate
    from models.lexicon import Lexicon
    from models.normalize import normalize_text
    from models.segment import Segmenter

    texts, labeled_chars = read_texts(config)
    # Every character of a labeled comment gets a token, however rare in the corpora.
    vocab = build_vocab(texts, min_count=config.vocab_min_count, max_size=config.vocab_max_size,
                        always=sorted(labeled_chars))
    tokenizer = tokenizer_from_vocab(vocab)
    segmenter = Segmenter(Lexicon.load(config.lexicon_dir))
    rng = random.Random(config.seed)
    train_texts = [t for t in texts if not _in_eval(t, config.data.eval_fraction)]
    eval_texts = [t for t in texts if _in_eval(t, config.data.eval_fraction)]
    rng.shuffle(train_texts)
    t_ids, t_words = pack(tokenizer, segmenter, train_texts, config.seq_len)
    e_ids, e_words = pack(tokenizer, segmenter, eval_texts, config.seq_len)
    dev = config.data.unk_check_file
    unk = None
    if dev is not None and Path(dev).is_file():  # measured, never trained on
        with dev.open(encoding="utf-8") as fh:
            unk = unk_rate(tokenizer, (normalize_text(json.loads(line)["text"]) for line in fh if line.strip()))
    as_tensor = lambda rows: torch.tensor(rows, dtype=torch.int32)  # noqa: E731
    return Corpus(as_tensor(t_ids), as_tensor(t_words), as_tensor(e_ids), as_tensor(e_words), vocab,
                  len(train_texts), len(eval_texts), unk)


def load_or_build_corpus(config: PretrainConfig) -> Corpus:
    import torch

    path = Path(config.output_dir) / "data.pt"
    key = corpus_key(config)
    if path.is_file():
        saved = torch.load(path, weights_only=False)
        if saved.get("key") == key:
            return saved["corpus"]
        log.info("data settings changed: rebuilding %s", path)
    corpus = build_corpus(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"key": key, "corpus": corpus}, path.with_suffix(".tmp"))
    os.replace(path.with_suffix(".tmp"), path)
    return corpus


def mask_batch(ids, words, *, mask_id: int, vocab_size: int, n_special: int, prob: float,
               whole_word: bool, generator):
    """BERT masking (80% [MASK], 10% random, 10% kept) of `prob` of the tokens; labels -100 elsewhere."""
    import torch

    ids = ids.long()
    words = words.long()
    real = words >= 0
    if whole_word:
        # One uniform draw per word, shared by all its characters.
        unique, inverse = torch.unique(words[real], return_inverse=True)
        draw = torch.rand(len(unique), generator=generator)
        picked = torch.zeros_like(real)
        picked[real] = draw[inverse] < prob
    else:
        picked = real & (torch.rand(ids.shape, generator=generator) < prob)
    labels = torch.where(picked, ids, torch.full_like(ids, -100))
    roll = torch.rand(ids.shape, generator=generator)
    inputs = ids.clone()
    inputs[picked & (roll < 0.8)] = mask_id
    randomize = picked & (roll >= 0.8) & (roll < 0.9)
    inputs[randomize] = torch.randint(n_special, vocab_size, (int(randomize.sum()),), generator=generator)
    return inputs, labels
