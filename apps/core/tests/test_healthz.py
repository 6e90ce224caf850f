"""/healthz is a JSON report that turns non-200 when anything is down."""

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_is_503_and_names_the_missing_worker_when_none_runs(client):
    # given: no worker is running in this test
    # when
    response = client.get("/healthz")
    # then
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]
    assert body["checks"]["pgvector"]["ok"]
    assert body["checks"]["workers"]["ok"] is False
    assert "no Celery worker" in body["checks"]["workers"]["error"]


def test_healthz_reports_a_down_redis(client, settings, monkeypatch):
    # given
    monkeypatch.setattr(settings, "REDIS_URL", "redis://127.0.0.1:1/0")
    # when
    response = client.get("/healthz")
    # then
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["ok"] is False
