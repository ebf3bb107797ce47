"""The model in a child process: same results as in-process, clear failures, 503 when it dies."""
from __future__ import annotations

import json
import os
import signal
import time

import pytest
from fastapi.testclient import TestClient

from models.artifact import ArtifactError
from serving.app import create_app
from serving.model_process import ModelProcessError, ProcessPredictor
from serving.settings import Settings

TEXTS = ["求链接", "这个色号是什么呀", "多少钱一瓶", "已下单", "今天天气真好", "需要的加V❤ abc123 低价出同款"]
NOTES = ["口红合集", None, "面霜", None, None, "口红"]


@pytest.fixture(scope="module")
def tiny_process(tiny_model):
    predictor = ProcessPredictor(tiny_model)
    yield predictor
    predictor.close()


def test_results_match_the_in_process_model(tiny_process, tiny_predictor):
    assert tiny_process.model_info == tiny_predictor.model_info
    assert tiny_process.diversion_threshold == tiny_predictor.diversion_threshold
    assert tiny_process.predict(TEXTS, NOTES) == tiny_predictor.predict(TEXTS, NOTES)
    assert tiny_process.predict([]) == []
    assert tiny_process.predict_steps() is None  # a linear model has one step


def test_a_failing_batch_fails_alone(tiny_process, tiny_predictor):
    with pytest.raises(ModelProcessError, match="failed on a batch") as failure:
        tiny_process.predict([None])  # type: ignore[list-item]
    assert failure.type is ModelProcessError  # not ModelProcessGone: the API answers 500, not 503
    assert tiny_process.alive()
    assert tiny_process.predict(TEXTS[:2]) == tiny_predictor.predict(TEXTS[:2])


def test_pipeline_steps_run_in_the_child(default_predictor):
    from conftest import DEFAULT_MODEL

    remote = ProcessPredictor(DEFAULT_MODEL)
    try:
        first, second = remote.predict_steps()
        tickets = [first(TEXTS[:3], NOTES[:3]), first(TEXTS[3:], NOTES[3:])]  # two batches in flight
        got = second(tickets[0]) + second(tickets[1])
    finally:
        remote.close()
    assert got == default_predictor.predict(TEXTS, NOTES)
    assert not remote.alive()


def test_a_bad_model_folder_stops_the_start(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "linear"}))
    with pytest.raises(ArtifactError, match=str(tmp_path)):
        ProcessPredictor(tmp_path)


def test_the_api_answers_503_while_a_dead_model_process_is_replaced(tiny_model):
    settings = Settings(model=tiny_model, api_keys="commerce:k", model_process=True)
    auth = {"Authorization": "Bearer k"}
    body = {"comments": [{"id": "a", "text": "求链接"}]}
    with TestClient(create_app(settings)) as client:
        predictor = client.app.state.predictor
        assert isinstance(predictor, ProcessPredictor) and predictor.pid != os.getpid()
        assert client.post("/v1/score", json=body, headers=auth).json()["results"][0]["intent"]
        killed = predictor.pid
        os.kill(killed, signal.SIGKILL)
        predictor._process.join(timeout=10)
        resp = client.post("/v1/score", json=body, headers=auth)
        assert resp.status_code == 503 and resp.json()["error_type"] == "model_unavailable"
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200
        # A new model process starts in the background; then the service answers again.
        deadline = time.monotonic() + 60
        while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert predictor.restarts == 1 and predictor.pid != killed
        resp = client.post("/v1/score", json=body, headers=auth)
        assert resp.status_code == 200 and resp.json()["results"][0]["intent"]


def test_the_service_scores_through_its_model_process_and_stops_it(tiny_model, tiny_predictor):
    settings = Settings(model=tiny_model, api_keys="commerce:k", model_process=True)
    body = {"comments": [{"id": str(i), "text": t} for i, t in enumerate(TEXTS)]}
    with TestClient(create_app(settings)) as client:
        predictor = client.app.state.predictor
        resp = client.post("/v1/score", json=body, headers={"Authorization": "Bearer k"})
        assert client.get("/info").json()["model_process"] is True
    assert [{k: v for k, v in r.items() if k != "id"} for r in resp.json()["results"]] == tiny_predictor.predict(TEXTS)
    assert not predictor.alive()
