import importlib.util
import json

import pytest

from training.metrics import referee_metrics

from conftest import SHARED, needs_shared


def _referee():
    spec = importlib.util.spec_from_file_location("referee", SHARED / "data" / "referee.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GOLD = {
    "1": {"intent": "ask_link", "diversion": False, "mentions": [{"text": "口红", "type": "product"}]},
    "2": {"intent": "none", "diversion": True, "mentions": []},
    "3": {"intent": "spam", "diversion": True, "mentions": [{"text": "兰蔻", "type": "brand"}]},
}
PRED = {
    "1": {"intent": "ask_link", "diversion": False, "mentions": [{"text": "口红", "type": "product"}]},
    "2": {"intent": "ask_price", "diversion": False, "mentions": [{"text": "x", "type": "brand"}]},
    "3": {"intent": "spam", "diversion": True, "mentions": []},
}


def test_metrics_by_hand():
    m = referee_metrics(GOLD, PRED)
    assert m["intent_accuracy"] == pytest.approx(2 / 3)
    assert m["purchase_intent_f1"] == pytest.approx(2 / 3)  # tp 1, fp 1, fn 0
    assert m["diversion_f1"] == pytest.approx(2 / 3)
    assert m["mention_f1"] == pytest.approx(0.5)  # tp 1, fp 1, fn 1 -> p .5 r .5


def test_missing_prediction_is_an_error():
    with pytest.raises(ValueError, match="no prediction"):
        referee_metrics(GOLD, {"1": PRED["1"]})


@needs_shared("data/referee.py")
def test_agrees_with_the_official_referee_on_a_toy_case():
    assert referee_metrics(GOLD, PRED) == _referee().referee(GOLD, PRED)


@needs_shared("data/referee.py", "data/dev.jsonl")
def test_agrees_with_the_official_referee_on_dev(default_predictor):
    from training.evaluate import predict_records, read_jsonl

    gold = read_jsonl(SHARED / "data" / "dev.jsonl")
    preds = {p["id"]: p for p in predict_records(default_predictor, gold)}
    gold_by_id = {g["id"]: g for g in gold}
    ours = referee_metrics(gold_by_id, preds)
    theirs = _referee().referee(gold_by_id, json.loads(json.dumps(preds)))
    assert ours == theirs
