"""Property-based requests generated from the app's own OpenAPI schema: no 5xx, ever."""
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from serving.app import create_app
from serving.settings import Settings

from conftest import DEFAULT_MODEL

# The shipped model: the schema is collected at import time, before session fixtures exist.
APP = create_app(Settings(api_keys="fuzz:k", model=DEFAULT_MODEL))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def lifespan():
    with TestClient(APP):  # loads the model and starts the batcher
        yield


@schema.parametrize()
@settings(max_examples=150, suppress_health_check=list(HealthCheck), deadline=None)
def test_no_server_errors(case):
    case.headers = {**(case.headers or {}), "Authorization": "Bearer k"}
    response = case.call()
    assert response.status_code < 500, response.text
