"""The character tokenizer of buyintent's own encoder, built from text, saved in HF format.

BERT's basic tokenizer splits CJK characters but leaves emoji and symbol runs whole
(`lj😂` becomes one [UNK]); comments are full of both. This tokenizer gives every
character (CJK, Latin letter, digit, emoji, symbol) its own token, so offsets are one
character each and BIO tags map to characters exactly. It reads text that
models.normalize already folded (lower case, simplified, obfuscations undone): the
tokenizer itself does no normalization, so training and serving share one definition.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Iterable

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def build_vocab(texts: Iterable[str], *, min_count: int = 2, max_size: int = 12000,
                always: Iterable[str] = ()) -> list[str]:
    """Special tokens, then characters seen at least `min_count` times, most frequent first.

    `always` (e.g. every character of the labeled training set) is kept whatever its count,
    so rare characters of real comments are not [UNK] while one-off corpus noise is.
    """
    counts = Counter(ch for text in texts for ch in text if not ch.isspace())
    keep = [ch for ch, n in counts.most_common() if n >= min_count]
    keep = keep[: max_size - len(SPECIAL_TOKENS)]
    seen = set(keep)
    for ch in always:
        if not ch.isspace() and ch not in seen:
            seen.add(ch)
            keep.append(ch)
    return list(SPECIAL_TOKENS) + keep


def tokenizer_from_vocab(vocab: list[str]):
    """A PreTrainedTokenizerFast over `vocab` that splits every non-space character."""
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    ids = {tok: i for i, tok in enumerate(vocab)}
    core = Tokenizer(models.WordLevel(vocab=ids, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.WhitespaceSplit(),
        pre_tokenizers.Split(Regex("."), behavior="isolated"),
    ])
    core.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, unk_token="[UNK]", pad_token="[PAD]",
                                        cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
                                        model_input_names=["input_ids", "attention_mask"])
    # transformers 5 can silently build a tiny vocabulary from a wrong argument (NOTES.md):
    # the size is checked, not assumed.
    if len(tokenizer) != len(vocab):
        raise RuntimeError(f"tokenizer has {len(tokenizer)} tokens, vocabulary {len(vocab)}")
    return tokenizer


def unk_rate(tokenizer, texts: Iterable[str]) -> float:
    """Share of non-special tokens that are [UNK] over `texts`."""
    unk, total = tokenizer.unk_token_id, 0
    n_unk = 0
    for text in texts:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        total += len(ids)
        n_unk += sum(1 for i in ids if i == unk)
    return n_unk / max(total, 1)


def save_vocab(vocab: list[str], path: Path) -> None:
    path.write_text("\n".join(vocab) + "\n", encoding="utf-8")
