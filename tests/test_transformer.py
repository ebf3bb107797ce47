"""The transformer path with a tiny encoder built here in seconds: no download, no ../shared."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from models.char_tokenizer import build_vocab, tokenizer_from_vocab, unk_rate
from models.multitask import TAGS
from models.normalize import normalize
from models.transformer_inputs import encode, tags_to_spans, token_tags
from tests.conftest import FIXTURES, REPO
from training.config import EnsembleConfig, PretrainConfig, TransformerTrainConfig

TINY_ENCODER = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64,
                "max_position_embeddings": 64, "dropout": 0.0}


def pretrain_config(built_data, out, **overrides) -> PretrainConfig:
    raw = {"output_dir": out, "lexicon_dir": FIXTURES / "lexicon", "seed": 3,
           "data": {"corpora": [], "build_train": built_data[0] / "train.jsonl", "eval_fraction": 0.1,
                    "unk_check_file": None},
           "encoder": TINY_ENCODER, "vocab_min_count": 1, "seq_len": 32, "batch_size": 16, "mask_prob": 0.2,
           "learning_rate": 3e-3, "warmup_steps": 2, "max_steps": 40, "checkpoint_every": 10, "eval_every": 10,
           "eval_batches": 4, "threads": 1}
    raw.update(overrides)
    return PretrainConfig.model_validate(raw)


@pytest.fixture(scope="module")
def tiny_encoder(built_data, tmp_path_factory):
    from training.pretrain import pretrain

    out = tmp_path_factory.mktemp("pretrain")
    pretrain(pretrain_config(built_data, out), progress=False)
    return out


@pytest.fixture(scope="module")
def tiny_transformer(built_data, tiny_encoder, tmp_path_factory):
    from training.train_transformer import train_transformer

    out = tmp_path_factory.mktemp("transformer") / "tiny-transformer"
    cfg = TransformerTrainConfig.model_validate({
        "name": "tiny-transformer", "version": "0.0.1", "data_dir": built_data[0], "output_dir": out,
        "lexicon_dir": FIXTURES / "lexicon", "model": {"name_or_path": str(tiny_encoder / "encoder")},
        "max_length": 48, "batch_size": 16, "learning_rate": 3e-3, "epochs": 2, "threads": 1})
    train_transformer(cfg, progress=False)
    return out


def test_char_tokenizer_splits_every_character_and_keeps_emoji():
    vocab = build_vocab(["求链接😂ysl", "色号#999"], min_count=1)
    tok = tokenizer_from_vocab(vocab)
    enc = tok("求链接😂ysl", return_offsets_mapping=True)
    pieces = tok.convert_ids_to_tokens(enc["input_ids"])
    assert pieces == ["[CLS]", "求", "链", "接", "😂", "y", "s", "l", "[SEP]"]
    assert enc["offset_mapping"][4] == (3, 4)
    assert unk_rate(tok, ["求链接😂"]) == 0.0
    assert unk_rate(tok, ["求链接🙏"]) == pytest.approx(0.25)


def test_vocabulary_keeps_labeled_characters_however_rare():
    vocab = build_vocab(["aaa", "aab"], min_count=2, always="蹲")
    assert "a" in vocab and "b" not in vocab and "蹲" in vocab


def test_bio_tags_round_trip_through_token_offsets():
    tok = tokenizer_from_vocab(build_vocab(["求兰蔻小黑瓶链接 50ml"], min_count=1))
    norm = normalize("求蘭蔻小黑瓶链接 50ML")
    enc = encode(tok, [norm], 32)[0]
    spans = [(1, 3, "brand"), (3, 6, "product"), (9, 13, "attribute")]
    tags = token_tags(enc, spans)
    assert [TAGS[t] for t in tags[1:7]] == ["O", "B-brand", "I-brand", "B-product", "I-product", "I-product"]
    assert tags_to_spans(enc, tags) == spans


def test_pretraining_lowers_loss_and_resumes_from_checkpoint(built_data, tiny_encoder, tmp_path):
    from transformers import AutoModel, AutoTokenizer

    from training.pretrain import pretrain

    card = json.loads((tiny_encoder / "encoder" / "pretrain.json").read_text())
    evals = card["evals"]
    assert card["step"] == 40 and len(evals) >= 4
    assert evals[-1]["loss"] < evals[0]["loss"]
    # The encoder folder is a Hugging Face model: AutoModel and AutoTokenizer load it.
    encoder = AutoModel.from_pretrained(tiny_encoder / "encoder")
    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder / "encoder")
    assert encoder.config.hidden_size == 32 and len(tokenizer) == card["vocab_size"]
    for name in ("README.md", "loss_curve.png", "tokenizer.json", "model.safetensors"):
        assert (tiny_encoder / "encoder" / name).is_file(), name
    # Resume: a copy of the run, asked for 10 more steps, starts at 40, not at 0.
    import shutil

    resumed = tmp_path / "resumed"
    shutil.copytree(tiny_encoder, resumed)
    pretrain(pretrain_config(built_data, resumed, max_steps=50), progress=False)
    card2 = json.loads((resumed / "encoder" / "pretrain.json").read_text())
    assert card2["step"] == 50
    assert card2["evals"][: len(evals)] == evals  # history carried over, not restarted


def test_checkpoint_of_another_shape_is_refused(built_data, tiny_encoder, tmp_path):
    import shutil

    from training.pretrain import pretrain

    other = tmp_path / "other"
    shutil.copytree(tiny_encoder, other)
    cfg = pretrain_config(built_data, other, encoder={**TINY_ENCODER, "hidden_size": 64}, max_steps=45)
    with pytest.raises(ValueError, match="another encoder shape"):
        pretrain(cfg, progress=False)


def test_fine_tuned_folder_loads_with_the_same_predictor_interface(tiny_transformer):
    from models.predictor import load_predictor

    for name in ("manifest.json", "config.yaml", "metrics.json", "heads.json", "model.safetensors",
                 "model.onnx", "model.int8.onnx", "tokenizer.json"):
        assert (tiny_transformer / name).is_file(), name
    manifest = json.loads((tiny_transformer / "manifest.json").read_text())
    assert manifest["kind"] == "transformer" and len(manifest["config_hash"]) == 16
    predictor = load_predictor(tiny_transformer)
    assert predictor.backend == "onnx-int8"
    out = predictor.predict(["求链接！！", "加我薇❤ abc12345 私聊", "好看"])
    assert len(out) == 3
    for r in out:
        assert set(r) == {"intent", "intent_scores", "purchase_intent", "diversion", "diversion_score",
                          "mentions", "model"}
        assert sum(r["intent_scores"].values()) == pytest.approx(1.0, abs=1e-5)
    assert out[1]["diversion"] is True  # the strong detectors apply to every model kind


def test_save_load_round_trip_gives_identical_outputs(tiny_transformer, tmp_path):
    import torch

    from models.multitask import MultiTaskModel

    model, heads = MultiTaskModel.load(tiny_transformer)
    model.save(tmp_path, {k: v for k, v in heads.items() if k != "tags"})
    again, _ = MultiTaskModel.load(tmp_path)
    ids = torch.tensor([[2, 10, 11, 12, 3]])
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        for a, b in zip(model(ids, mask), again(ids, mask)):
            assert torch.equal(a, b)


def test_onnx_matches_torch_and_int8_agrees(tiny_transformer):
    from models.predictor import load_predictor
    from training.synth import hand_written

    texts = [r["text"] for r in hand_written()][:300]

    def probs(backend):
        rows = load_predictor(tiny_transformer, backend=backend).predict(texts)
        return np.array([list(r["intent_scores"].values()) for r in rows])

    torch_p, fp32, int8 = probs("torch"), probs("onnx"), probs("onnx-int8")
    assert np.abs(torch_p - fp32).max() < 1e-3
    # A two-step tiny model is unsure of most comments, where int8 rounding may swap the top
    # two; where fp32 is clear, int8 must agree. (The shipped model's agreement on dev.jsonl
    # is measured by `make parity`.)
    top2 = np.sort(fp32, axis=1)[:, -2:]
    clear = (top2[:, 1] - top2[:, 0]) > 0.1
    assert clear.sum() >= 30
    assert (fp32.argmax(1) == int8.argmax(1))[clear].mean() >= 0.99
    assert np.abs(fp32 - int8).max() < 0.15


def test_missing_backend_file_is_a_clear_error(tiny_transformer, tmp_path):
    import shutil

    from models.artifact import ArtifactError
    from models.predictor import load_predictor

    slim = tmp_path / "slim"
    shutil.copytree(tiny_transformer, slim, ignore=shutil.ignore_patterns("model.safetensors"))
    with pytest.raises(ArtifactError, match="model.safetensors"):
        load_predictor(slim, backend="torch")
    assert load_predictor(slim).backend == "onnx-int8"


def test_buyintent_score_loads_a_transformer_folder(tiny_transformer, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps({"id": str(i), "text": t}, ensure_ascii=False)
                             for i, t in enumerate(["求链接", "多少钱", "好美"])) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run = subprocess.run([sys.executable, "-m", "serving.cli", "score", "--input", str(src), "--output", str(out),
                          "--model", str(tiny_transformer), "--workers", "1"],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["0", "1", "2"]
    assert rows[0]["model"]["name"] == "tiny-transformer"


def test_scoring_on_forked_workers_does_not_hang(tiny_transformer, tmp_path):
    """A parent that had started ONNX Runtime left its forked workers hanging; workers now
    start their own runtime, and the parent never starts one before forking."""
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps({"id": str(i), "text": f"求链接{i}"}, ensure_ascii=False)
                             for i in range(40)) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run = subprocess.run([sys.executable, "-m", "serving.cli", "score", "--input", str(src), "--output", str(out),
                          "--model", str(tiny_transformer), "--workers", "2", "--batch-size", "8"],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert len(out.read_text().splitlines()) == 40


def test_ensemble_mixes_members_behind_the_same_interface(built_data, tiny_model, tiny_transformer, tmp_path):
    from models.predictor import load_predictor
    from training.train_ensemble import train_ensemble

    cfg = EnsembleConfig.model_validate({"name": "tiny-ensemble", "data_dir": built_data[0],
                                         "output_dir": tmp_path / "ens", "linear": tiny_model,
                                         "transformer": tiny_transformer, "lexicon_dir": FIXTURES / "lexicon"})
    metrics = train_ensemble(cfg)
    weights = json.loads((tmp_path / "ens" / "ensemble.json").read_text())
    assert 0.0 <= weights["intent_transformer_weight"] <= 1.0
    assert weights["mentions_from"] in ("linear", "transformer", "union")
    assert not (tmp_path / "ens" / "transformer" / "model.safetensors").exists()  # slim copy
    ens = load_predictor(tmp_path / "ens")
    texts = ["求链接", "多少钱呀", "博主好美"]
    out = ens.predict(texts)
    assert [r["model"]["name"] for r in out] == ["tiny-ensemble"] * 3
    # The mix is what the weights say: with the transformer weight, probabilities sit between the members'.
    lin = np.array([list(r["intent_scores"].values()) for r in load_predictor(tiny_model).predict(texts)])
    assert np.isfinite(metrics["intent_macro_f1"])
    assert 0.0 <= metrics["share_needing_transformer"] <= 1.0
    assert np.array([list(r["intent_scores"].values()) for r in out]).shape == lin.shape
    full = load_predictor(tmp_path / "ens", cascade=False).predict(texts)
    assert [(r["intent"], r["diversion"], r["mentions"]) for r in out] == \
        [(r["intent"], r["diversion"], r["mentions"]) for r in full]
    first, second = ens.predict_steps()  # the server's two-step pipeline gives the same results
    assert second(first(texts, [None, "口红", None])) == ens.predict(texts, [None, "口红", None])


def test_ensemble_weights_given_in_the_config_are_used_as_given(built_data, tiny_model, tiny_transformer, tmp_path):
    from training.train_ensemble import train_ensemble

    given = {"intent_transformer_weight": 0.35, "temperature": 0.9, "diversion_transformer_weight": 0.2,
             "diversion_threshold": 0.55, "mentions_from": "transformer"}
    cfg = EnsembleConfig.model_validate({"name": "tiny-fixed", "data_dir": built_data[0], "output_dir": tmp_path / "ens",
                                         "linear": tiny_model, "transformer": tiny_transformer,
                                         "lexicon_dir": FIXTURES / "lexicon", "weights": given})
    train_ensemble(cfg)
    weights = json.loads((tmp_path / "ens" / "ensemble.json").read_text())
    assert {k: weights[k] for k in given} == given and weights["fitted"] is False
    with pytest.raises(Exception, match="intent_transformer_weight"):
        EnsembleConfig.model_validate({"weights": {**given, "intent_transformer_weight": 1.5}})


def test_ensemble_cascade_skips_the_transformer_only_where_it_cannot_change_a_decision():
    from models.ensemble import mix, undecided
    from models.scores import ModelScores

    weights = {"intent_transformer_weight": 0.3, "temperature": 0.8, "diversion_transformer_weight": 0.45,
               "diversion_threshold": 0.5, "mentions_from": "linear"}
    rng = np.random.default_rng(0)
    n = 4000
    sharp = rng.dirichlet(np.full(6, 0.1), n)  # many confident linear rows, some uncertain
    lin = ModelScores(sharp, rng.random(n), [[] for _ in range(n)])
    todo = undecided(lin, weights)
    assert 0 < todo.sum() < n
    # Whatever the transformer says on a skipped row, the mixed decision equals the one made
    # with the linear scores standing in for it.
    stand_in = mix(lin, ModelScores(lin.intent_probs, lin.diversion_scores, lin.mentions), weights)
    runner_up = np.eye(6)[np.argsort(sharp, axis=1)[:, -2]]  # the worst case: all mass on the runner-up
    adversarial = [(runner_up, np.where(lin.diversion_scores >= 0.5, 0.0, 1.0))]
    for probs, div in adversarial + [(rng.dirichlet(np.full(6, 0.1), n), rng.random(n)) for _ in range(5)]:
        tra = ModelScores(probs, div, lin.mentions)
        real = mix(lin, tra, weights)
        keep = ~todo
        assert (real.intent_probs.argmax(1)[keep] == stand_in.intent_probs.argmax(1)[keep]).all()
        t = weights["diversion_threshold"]
        assert ((real.diversion_scores >= t)[keep] == (stand_in.diversion_scores >= t)[keep]).all()
    # Mentions from the transformer, or a transformer weight of one half or more: never skip.
    assert undecided(lin, {**weights, "mentions_from": "union"}).all()
    assert undecided(lin, {**weights, "intent_transformer_weight": 0.5}).all()


def test_train_command_picks_the_trainer_by_kind(tmp_path):
    from training.config import ConfigError
    from training.train import config_kind

    path = tmp_path / "c.yaml"
    path.write_text("kind: transformer\n")
    assert config_kind(path) == "transformer"
    path.write_text("kind: forest\n")
    with pytest.raises(ConfigError, match="kind: 'forest'"):
        config_kind(path)


def test_choose_default_takes_the_best_eligible_model_and_points_default_at_it(
        built_data, tiny_model, tiny_transformer, tmp_path, monkeypatch):
    import models.predictor as predictor_module
    from training.select_default import choose_default, install_default

    labeled = built_data[0] / "validation.jsonl"
    evidence = choose_default([tiny_model, tiny_transformer], labeled, max_p99_ms=1000.0)
    rows = {r["name"]: r for r in evidence["candidates"]}
    assert set(rows) == {"tiny", "tiny-transformer"}
    best = max(rows.values(), key=lambda r: (r["intent_macro_f1"], r["purchase_intent_f1"]))
    assert evidence["chosen"] == best["name"]
    # A latency limit no candidate meets is an error, not a silent pick.
    with pytest.raises(ValueError, match="p99 under"):
        choose_default([tiny_model], labeled, max_p99_ms=0.0001)
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    install_default(evidence, artifacts)
    monkeypatch.setattr(predictor_module, "ARTIFACTS_DIR", artifacts)
    monkeypatch.delenv("BUYINTENT_MODEL", raising=False)
    assert predictor_module.default_model_dir() == artifacts / evidence["chosen"]
    assert json.loads((artifacts / "DEFAULT.json").read_text())["chosen"] == evidence["chosen"]
