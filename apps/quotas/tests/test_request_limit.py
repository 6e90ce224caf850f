"""API requests per minute: a spent window is a 429 with Retry-After on /api/v1, /v1 and
MLflow's /api/2.0, counted per account, with X-RateLimit headers on every counted response."""

from __future__ import annotations

import time

import pytest

from apps.accounts.services import api_token_create
from apps.quotas.models import Plan

from .factories import override

pytestmark = pytest.mark.django_db


def test_the_request_after_the_limit_is_a_429_with_retry_after_and_headers(make_user, api_client_for):
    # given a user allowed 3 requests a minute, and another on the default plan
    user, other = make_user(), make_user()
    override(user=user, api_requests_per_minute=3)
    client = api_client_for(user)
    # when
    allowed = [client.get("/api/v1/datasets/") for _ in range(3)]
    refused = client.get("/api/v1/datasets/")
    # then
    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert [r["X-RateLimit-Remaining"] for r in allowed] == ["2", "1", "0"]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "quota_exceeded"
    assert "3 API requests this minute" in refused.json()["error"]["message"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["X-RateLimit-Limit"] == "3" and refused["X-RateLimit-Remaining"] == "0"
    assert int(refused["X-RateLimit-Reset"]) >= time.time()
    assert api_client_for(other).get("/api/v1/datasets/").status_code == 200


def test_who_is_signed_in_and_health_are_never_limited(make_user, api_client_for):
    # given
    user = make_user()
    override(user=user, api_requests_per_minute=1)
    client = api_client_for(user)
    client.get("/api/v1/datasets/")
    # when
    me = client.get("/api/v1/me/")
    health = client.get("/healthz")
    # then
    assert me.status_code == 200 and "X-RateLimit-Limit" not in me
    assert health.status_code != 429 and "X-RateLimit-Limit" not in health  # 503 here: no worker runs


def test_the_openai_api_counts_against_the_same_limit(make_user, client):
    # given
    user = make_user()
    override(user=user, api_requests_per_minute=2)
    token = api_token_create(user=user, name="script").secret
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    # when
    first = client.get("/v1/models", **auth)
    second = client.get("/v1/models", **auth)
    refused = client.get("/v1/models", **auth)
    # then
    assert (first.status_code, second.status_code) == (200, 200)
    assert second["X-RateLimit-Remaining"] == "0"
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert int(refused["Retry-After"]) >= 1


def test_the_mlflow_api_counts_against_the_same_limit_and_refuses_in_mlflows_shape(make_user, client):
    # given a user allowed 2 requests a minute, logging with MLflow's client and an API token
    user = make_user()
    override(user=user, api_requests_per_minute=2)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='mlflow').secret}"}
    search = "/api/2.0/mlflow/experiments/search"
    # when
    first = client.get("/api/v1/datasets/", **auth)
    second = client.get(search, **auth)
    refused = client.get(search, **auth)
    # then
    assert (first.status_code, second.status_code) == (200, 200)
    assert second["X-RateLimit-Remaining"] == "0"
    assert refused.status_code == 429
    assert refused.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert "2 API requests this minute" in refused.json()["message"]
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_a_plan_without_a_request_limit_is_unlimited(make_user, api_client_for):
    # given
    user = make_user()
    unlimited = Plan.objects.create(name="unlimited")
    override(user=user, plan=unlimited)
    client = api_client_for(user)
    # when
    responses = [client.get("/api/v1/datasets/") for _ in range(5)]
    # then
    assert all(r.status_code == 200 and "X-RateLimit-Limit" not in r for r in responses)
