"""The pretraining corpus on its own: packing loses no token, masking takes whole words."""
from __future__ import annotations

import torch

from models.char_tokenizer import build_vocab, tokenizer_from_vocab
from models.lexicon import Lexicon
from models.segment import Segmenter
from tests.conftest import FIXTURES
from training.pretrain_data import mask_batch, pack

TEXTS = ["求链接谢谢", "这个口红是什么色号呀", "已下单", "姐妹们这款精华多少钱一瓶啊好想买", "哈哈"]


def _packed(seq_len: int = 12):
    tok = tokenizer_from_vocab(build_vocab(TEXTS, min_count=1))
    return tok, pack(tok, Segmenter(Lexicon.load(FIXTURES / "lexicon")), TEXTS, seq_len)


def test_pack_keeps_every_token_in_fixed_length_sequences():
    tok, (seqs, words) = _packed()
    specials = {tok.cls_token_id, tok.sep_token_id, tok.pad_token_id}
    assert all(len(s) == 12 and s[0] == tok.cls_token_id for s in seqs)
    assert all(len(w) == 12 for w in words)
    body = [t for s in seqs for t in s if t not in specials]
    expected = [t for text in TEXTS for t in tok(text, add_special_tokens=False)["input_ids"]]
    assert body == expected  # in order, nothing dropped or duplicated across sequence breaks
    for s, w in zip(seqs, words):
        for token, word in zip(s, w):
            assert (word == -1) == (token in specials)


def test_whole_word_masking_masks_all_characters_of_a_word_or_none():
    tok, (seqs, words) = _packed()
    ids, wids = torch.tensor(seqs), torch.tensor(words)
    generator = torch.Generator().manual_seed(0)
    inputs, labels = mask_batch(ids, wids, mask_id=tok.mask_token_id, vocab_size=len(tok), n_special=5,
                                prob=0.5, whole_word=True, generator=generator)
    picked = labels != -100
    assert picked.any() and not picked.all()
    assert torch.equal(labels[picked], ids[picked])  # labels are the original tokens
    assert not picked[wids < 0].any()  # specials and padding are never masked
    for word in wids[wids >= 0].unique():
        assert picked[wids == word].unique().numel() == 1, f"word {int(word)} partly masked"
    assert torch.equal(inputs[~picked], ids[~picked])  # unpicked tokens are untouched
