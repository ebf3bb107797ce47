"""One encoder, three heads: six-way intent, diversion and character BIO mention tags.

The encoder is any BERT-family checkpoint (`AutoModel`), a Hugging Face hub name or a
local folder: bert-base-chinese, hfl/chinese-roberta-wwm-ext, hfl/rbt3, or buyintent's
own offline encoder (`buyintent pretrain`). A saved model folder holds the encoder's
config.json, the tokenizer, one model.safetensors with encoder and heads, and heads.json.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from models.labels import INTENTS, MENTION_TYPES

TAGS: tuple[str, ...] = ("O",) + tuple(f"{p}-{t}" for t in MENTION_TYPES for p in ("B", "I"))
TAG2ID = {t: i for i, t in enumerate(TAGS)}
WEIGHTS_FILE = "model.safetensors"
HEADS_FILE = "heads.json"


class MultiTaskModel(nn.Module):
    """Encoder + intent and diversion heads on [CLS] and mean pooling, tag head on each token."""

    def __init__(self, encoder: nn.Module, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        # [CLS] and the mean of the tokens: the mean carries a briefly pretrained encoder
        # better than [CLS] alone, which learns only from the fine-tuning signal.
        self.intent = nn.Linear(2 * hidden, len(INTENTS))
        self.diversion = nn.Linear(2 * hidden, 1)
        self.tagger = nn.Linear(hidden, len(TAGS))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        pooled = self.dropout(torch.cat([hidden[:, 0], mean], dim=-1))
        return self.intent(pooled), self.diversion(pooled).squeeze(-1), self.tagger(self.dropout(hidden))

    @classmethod
    def from_encoder(cls, name_or_path: str | Path, *, random_init: bool = False, dropout: float = 0.1):
        """Heads on a pretrained encoder, or on a randomly initialized one of the same shape."""
        from transformers import AutoConfig, AutoModel

        if random_init:
            encoder = AutoModel.from_config(AutoConfig.from_pretrained(name_or_path))
        else:
            encoder = AutoModel.from_pretrained(name_or_path)
        return cls(encoder, dropout)

    def save(self, folder: Path, heads: dict) -> None:
        from safetensors.torch import save_model

        self.encoder.config.save_pretrained(folder)
        save_model(self, str(folder / WEIGHTS_FILE))
        (folder / HEADS_FILE).write_text(json.dumps({"tags": list(TAGS), **heads}, indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path) -> tuple["MultiTaskModel", dict]:
        from safetensors.torch import load_model
        from transformers import AutoConfig, AutoModel

        heads = json.loads((folder / HEADS_FILE).read_text())
        if tuple(heads["tags"]) != TAGS:
            raise ValueError(f"{folder}: tags {heads['tags']} do not match this code's {list(TAGS)}")
        model = cls(AutoModel.from_config(AutoConfig.from_pretrained(folder)))
        load_model(model, str(folder / WEIGHTS_FILE))
        model.eval()
        return model, heads
