"""A live server for the MLflow client tests: daphne on the test database (as production
serves the API), started once per module, with fast-failing client retries."""

from __future__ import annotations

import pytest

from apps.accounts.services import api_token_create


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("mlflow-var")


@pytest.fixture(autouse=True)
def media_root(settings, var_dir):
    settings.MEDIA_ROOT = var_dir / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="module")
def server_url(django_db_setup, var_dir):
    from tests.processes import daphne_server

    with daphne_server(var_dir, var_dir / "daphne.log") as url:
        yield url


@pytest.fixture(autouse=True)
def _fail_fast(monkeypatch):
    # MLflow's client retries 5xx for minutes; a server error should fail the test at once.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")


@pytest.fixture
def token_for():
    def token(user) -> str:
        return api_token_create(user=user, name="mlflow").secret

    return token
