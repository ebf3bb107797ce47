import json
import shutil

import numpy as np
import pytest

from models.artifact import ArtifactError
from models.predictor import load_predictor

TEXTS = ["求兰蔻口红的链接", "这个多少钱呀", "已下单", "博主好美", "需要的加V❤ abc123", "宜家收纳盒是哪款"]


def _probs(predictor):
    return np.array([[r["intent_scores"][k] for k in sorted(r["intent_scores"])] for r in predictor.predict(TEXTS)])


def test_save_load_round_trip_gives_identical_probabilities(tiny_model, tiny_predictor, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_model, copy)
    again = load_predictor(copy)
    assert np.array_equal(_probs(tiny_predictor), _probs(again))
    assert tiny_predictor.predict(TEXTS) == again.predict(TEXTS)


def test_results_have_the_output_contract(tiny_predictor):
    for r in tiny_predictor.predict(TEXTS, ["口红合集"] * len(TEXTS)):
        assert set(r) == {"intent", "intent_scores", "purchase_intent", "diversion", "diversion_score",
                          "mentions", "model"}
        assert len(r["intent_scores"]) == 6
        assert sum(r["intent_scores"].values()) == pytest.approx(1.0, abs=1e-5)
        assert r["purchase_intent"] == pytest.approx(
            sum(r["intent_scores"][k] for k in ("ask_link", "ask_product", "ask_price", "want_buy")))


def test_folder_also_holds_config_hash_and_metrics(tiny_model):
    manifest = json.loads((tiny_model / "manifest.json").read_text())
    assert len(manifest["config_hash"]) == 16
    assert (tiny_model / "config.yaml").exists()
    assert "intent_macro_f1" in json.loads((tiny_model / "metrics.json").read_text())


def _tampered(tiny_model, tmp_path, edit):
    copy = tmp_path / "tampered"
    shutil.copytree(tiny_model, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    edit(manifest)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


def test_loading_refuses_other_labels(tiny_model, tmp_path):
    folder = _tampered(tiny_model, tmp_path, lambda m: m.update(labels=["ask_link", "none"]))
    with pytest.raises(ArtifactError, match="labels"):
        load_predictor(folder)


def test_loading_refuses_other_preprocessing(tiny_model, tmp_path):
    folder = _tampered(tiny_model, tmp_path, lambda m: m["preprocessing"].update(normalizer_version="0"))
    with pytest.raises(ArtifactError, match="preprocessing"):
        load_predictor(folder)


def test_loading_refuses_an_edited_lexicon(tiny_model, tmp_path):
    copy = tmp_path / "lex"
    shutil.copytree(tiny_model, copy)
    with (copy / "lexicon" / "brands.tsv").open("a", encoding="utf-8") as fh:
        fh.write("新品牌\tbeauty\t\n")
    with pytest.raises(ArtifactError, match="preprocessing"):
        load_predictor(copy)


def test_missing_and_corrupt_folders_fail_clearly(tiny_model, tmp_path):
    with pytest.raises(ArtifactError, match="not a model folder"):
        load_predictor(tmp_path / "nothing")
    copy = tmp_path / "corrupt"
    shutil.copytree(tiny_model, copy)
    (copy / "linear.joblib").write_bytes(b"not a pickle")
    with pytest.raises(ArtifactError, match="cannot load"):
        load_predictor(copy)
