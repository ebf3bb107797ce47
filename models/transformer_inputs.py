"""Text -> token ids with offsets, character spans <-> token BIO tags, length-bucketed batches.

Shared by fine-tuning, ONNX export and serving: the same normalized text reaches the
tokenizer, and tags map back through the same offsets, in every one of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from models.multitask import TAG2ID, TAGS
from models.normalize import Normalized

IGNORE = -100


@dataclass(frozen=True, slots=True)
class Encoded:
    input_ids: list[int]
    offsets: list[tuple[int, int]]  # into the normalized text; (0, 0) for special tokens


def encode(tokenizer, norms: Sequence[Normalized], max_length: int) -> list[Encoded]:
    """Tokenize normalized texts (truncated to max_length tokens), keeping character offsets."""
    if not norms:
        return []
    batch = tokenizer([n.text for n in norms], truncation=True, max_length=max_length,
                      return_offsets_mapping=True, return_attention_mask=False)
    return [Encoded(ids, [tuple(o) for o in offs])
            for ids, offs in zip(batch["input_ids"], batch["offset_mapping"])]


def token_tags(enc: Encoded, spans: list[tuple[int, int, str]]) -> list[int]:
    """Tag id per token from mention spans of the normalized text; specials get IGNORE."""
    tags = []
    for start, end in enc.offsets:
        if end <= start:
            tags.append(IGNORE)
            continue
        tag = "O"
        for s, e, mtype in spans:
            if start < e and end > s:
                tag = ("B-" if start <= s else "I-") + mtype
                break
        tags.append(TAG2ID[tag])
    return tags


def tags_to_spans(enc: Encoded, tag_ids: Sequence[int]) -> list[tuple[int, int, str]]:
    """Decode BIO tag ids (one per token) to (start, end, type) spans of the normalized text."""
    spans: list[tuple[int, int, str]] = []
    current: list | None = None
    for (start, end), tid in zip(enc.offsets, tag_ids):
        if end <= start:
            continue
        tag = TAGS[int(tid)]
        if tag == "O":
            if current:
                spans.append(tuple(current))
            current = None
        elif tag.startswith("B-") or current is None or current[2] != tag[2:]:
            if current:
                spans.append(tuple(current))
            current = [start, end, tag[2:]]
        else:
            current[1] = end
    if current:
        spans.append(tuple(current))
    return spans


def pad(rows: Sequence[Sequence[int]], value: int) -> np.ndarray:
    """Right-pad to the longest row of this batch (dynamic padding)."""
    width = max(len(r) for r in rows)
    out = np.full((len(rows), width), value, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out


def length_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of similar length (little padding), longest first."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
