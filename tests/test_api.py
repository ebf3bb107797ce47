import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.settings import DEV_API_KEY, Settings

AUTH = {"Authorization": "Bearer k-commerce"}


def make_settings(tiny_model, **overrides):
    values = {"model": tiny_model, "api_keys": "moderation:k-mod,commerce:k-commerce", "max_batch_size": 4,
              "max_chars": 50, "model_process": False}
    values.update(overrides)
    return Settings(**values)


@pytest.fixture()
def client(tiny_model):
    with TestClient(create_app(make_settings(tiny_model))) as c:
        yield c


def test_health_routes_are_open(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["model"] == {"name": "tiny", "version": "0.0.1"}
    info = client.get("/info").json()
    assert info["labels"][0] == "ask_link" and info["limits"] == {"max_batch_size": 4, "max_chars": 50}
    assert client.get("/metrics").status_code == 200


def test_score_returns_the_cli_fields_in_order(client):
    body = {"comments": [{"id": "a", "text": "求链接"}, {"id": "b", "text": "多少钱", "note": "口红"}]}
    resp = client.post("/v1/score", json=body, headers=AUTH)
    assert resp.status_code == 200
    data = resp.json()
    assert data["model"] == {"name": "tiny", "version": "0.0.1"}
    assert [r["id"] for r in data["results"]] == ["a", "b"]
    assert set(data["results"][0]) == {"id", "intent", "intent_scores", "purchase_intent", "diversion",
                                       "diversion_score", "mentions", "model"}


@pytest.mark.parametrize("headers, message", [
    ({}, "missing bearer token"),
    ({"Authorization": "Bearer nope"}, "invalid API key"),
    ({"Authorization": "Basic k-commerce"}, "missing bearer token"),
])
def test_v1_needs_a_valid_key(client, headers, message):
    for path, body in (("/v1/score", {"comments": [{"id": "a", "text": "x"}]}),
                       ("/v1/placements", {"note": {"id": "n", "title": "t", "domain": "beauty"},
                                           "comments": [{"id": "a", "text": "x"}]})):
        resp = client.post(path, json=body, headers=headers)
        assert resp.status_code == 401
        assert resp.json()["error_type"] == "unauthorized" and message in resp.json()["error"]


def test_caller_appears_in_metrics(client):
    client.post("/v1/score", json={"comments": [{"id": "a", "text": "求链接"}]}, headers=AUTH)
    text = client.get("/metrics").text
    assert 'caller="commerce"' in text and 'route="/v1/score"' in text
    assert "buyintent_predictions_total" in text and "buyintent_batch_size_count" in text


@pytest.mark.parametrize("body, status, message", [
    ({"comments": [{"id": "a", "text": "ok"}, {"id": "b", "text": "  "}]}, 422, "comments[1].text: must not be empty"),
    ({"comments": [{"text": "no id"}]}, 422, "comments[0].id: Field required"),
    ({"comments": [{"id": "a", "text": 5}]}, 422, "comments[0].text: Input should be a valid string"),
    ({"comments": []}, 422, "comments:"),
    ({"comments": [{"id": str(i), "text": "x"} for i in range(5)]}, 413, "max_batch_size is 4"),
    ({"comments": [{"id": "a", "text": "长" * 51}]}, 422, "comments[0].text: 51 characters, longer than max_chars (50)"),
])
def test_error_contract(client, body, status, message):
    resp = client.post("/v1/score", json=body, headers=AUTH)
    assert resp.status_code == status
    assert message in resp.json()["error"]
    assert set(resp.json()) == {"error", "error_type"}


def test_an_unpaired_surrogate_is_a_422_naming_the_field(client):
    # JSON "\udc00" decodes to a lone surrogate, which used to fail the whole batch with a 500.
    raw = b'{"comments": [{"id": "a", "text": "ok"}, {"id": "b", "text": "\\u6c42\\udc00"}]}'
    resp = client.post("/v1/score", content=raw, headers={**AUTH, "content-type": "application/json"})
    assert resp.status_code == 422
    assert resp.json()["error"] == "comments[1].text: unpaired surrogate '\\udc00' at position 1 is not valid Unicode"


def test_invalid_json_is_a_422(client):
    resp = client.post("/v1/score", content=b"{not json", headers={**AUTH, "content-type": "application/json"})
    assert resp.status_code == 422 and resp.json()["error_type"] == "validation"
    assert "invalid JSON" in resp.json()["error"]


def test_unknown_route_uses_the_contract(client):
    resp = client.get("/nope")
    assert resp.status_code == 404 and resp.json()["error_type"] == "not_found"


def test_overload_is_429(tiny_model):
    with TestClient(create_app(make_settings(tiny_model, max_queue=1))) as c:
        resp = c.post("/v1/score", json={"comments": [{"id": "a", "text": "x"}, {"id": "b", "text": "y"}]},
                      headers=AUTH)
    assert resp.status_code == 429 and resp.json()["error_type"] == "overloaded"


def test_model_not_loaded_is_503(tiny_model):
    c = TestClient(create_app(make_settings(tiny_model)))  # no lifespan: nothing loaded
    assert c.get("/readyz").status_code == 503
    resp = c.post("/v1/score", json={"comments": [{"id": "a", "text": "x"}]}, headers=AUTH)
    assert resp.status_code == 503 and resp.json()["error_type"] == "not_ready"


def test_batching_off_gives_the_same_results(tiny_model):
    body = {"comments": [{"id": "a", "text": "求链接"}, {"id": "b", "text": "多少钱"}]}
    results = []
    for batching in (True, False):
        with TestClient(create_app(make_settings(tiny_model, batching=batching))) as c:
            results.append(c.post("/v1/score", json=body, headers=AUTH).json())
    assert results[0] == results[1]


def test_dev_key_logs_a_warning(tiny_model, caplog):
    with TestClient(create_app(make_settings(tiny_model, api_keys=f"dev:{DEV_API_KEY}"))):
        pass
    assert any("well-known development API key" in r.getMessage() for r in caplog.records)


def test_placements_route(client):
    body = {"note": {"id": "n1", "title": "口红合集", "domain": "beauty", "products": ["口红"],
                     "ad_link_invited": True, "stores": ["jd"]},
            "comments": [{"id": f"c{i}", "text": t, "likes": i} for i, t in
                         enumerate(["求链接", "求兰蔻口红的链接！！", "在哪买的呀姐妹", "需要的加V❤ abc123 低价出同款"])]}
    resp = client.post("/v1/placements", json=body, headers=AUTH)
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert data["note_id"] == "n1" and data["demand"]["comments"] == 4
    assert "c3" in [f["comment_id"] for f in data["flagged"]]
    assert all(s.get("comment_id") != "c3" for s in data["suggestions"])


def test_placements_validates_domain(client):
    body = {"note": {"id": "n1", "title": "t", "domain": "cars"}, "comments": [{"id": "a", "text": "x"}]}
    resp = client.post("/v1/placements", json=body, headers=AUTH)
    assert resp.status_code == 422 and resp.json()["error"].startswith("note.domain: must be one of")


def test_bad_key_spec_is_an_error():
    from serving.auth import KeyRing

    with pytest.raises(ValueError, match="caller:key"):
        KeyRing("justakey")
    ring = KeyRing("a:1, b:2")
    assert ring.caller("2") == "b" and ring.caller("3") is None


def test_the_access_log_names_the_caller(client, caplog):
    with caplog.at_level("INFO", logger="buyintent.access"):
        client.post("/v1/score", json={"comments": [{"id": "a", "text": "求链接"}]}, headers=AUTH)
        client.post("/v1/score", json={"comments": [{"id": "a", "text": "求链接"}]})
    lines = [r.getMessage() for r in caplog.records if r.name == "buyintent.access"]
    assert lines[0].startswith("POST /v1/score 200 ") and lines[0].endswith("caller=commerce")
    assert lines[1].startswith("POST /v1/score 401 ") and lines[1].endswith("caller=-")


def test_a_worker_process_logs_without_the_cli_setup():
    # uvicorn's workers > 1 are fresh processes that only import the app factory.
    import subprocess
    import sys

    code = ("import logging; from serving.app import create_app; from serving.settings import Settings; "
            "create_app(Settings(api_keys='a:b')); "
            "print(logging.getLogger().level == logging.INFO, len(logging.getLogger().handlers))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "1"]
