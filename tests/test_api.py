import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.settings import Settings


@pytest.fixture()
def client(tiny_model):
    settings = Settings(model=tiny_model, max_batch_size=4, max_chars=50)
    with TestClient(create_app(settings)) as c:
        yield c


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_score_returns_the_cli_fields_in_order(client):
    body = {"comments": [{"id": "a", "text": "求链接"}, {"id": "b", "text": "多少钱", "note": "口红"}]}
    resp = client.post("/v1/score", json=body)
    assert resp.status_code == 200
    data = resp.json()
    assert data["model"] == {"name": "tiny", "version": "0.0.1"}
    assert [r["id"] for r in data["results"]] == ["a", "b"]
    assert set(data["results"][0]) == {"id", "intent", "intent_scores", "purchase_intent", "diversion",
                                       "diversion_score", "mentions", "model"}


@pytest.mark.parametrize("body, status, message", [
    ({"comments": [{"id": "a", "text": "ok"}, {"id": "b", "text": "  "}]}, 422, "comments[1].text: must not be empty"),
    ({"comments": [{"text": "no id"}]}, 422, "comments[0].id: Field required"),
    ({"comments": []}, 422, "comments:"),
    ({"comments": [{"id": str(i), "text": "x"} for i in range(5)]}, 413, "max_batch_size is 4"),
    ({"comments": [{"id": "a", "text": "长" * 51}]}, 422, "comments[0].text: longer than max_chars (50)"),
])
def test_error_contract(client, body, status, message):
    resp = client.post("/v1/score", json=body)
    assert resp.status_code == status
    assert message in resp.json()["error"]
    assert set(resp.json()) == {"error", "error_type"}


def test_invalid_json_is_a_422_with_the_contract(client):
    resp = client.post("/v1/score", content=b"{not json", headers={"content-type": "application/json"})
    assert resp.status_code == 422 and resp.json()["error_type"] == "validation"
