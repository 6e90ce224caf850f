"""The Python client against a real server (pytest-django's live_server, real HTTP) with a
real API token: runs, buffered metrics, params, tags, artifacts, retries and refusals."""

from __future__ import annotations

import hashlib

import pytest
import requests

from apps.accounts.services import api_token_create
from apps.experiments.models import MetricPoint, Run
from sloughgpt.client import ApiError, Client, RetryPolicy

pytestmark = pytest.mark.django_db(transaction=True)
FAST_RETRY = RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.05)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def client(live_server, make_user, monkeypatch):
    user = make_user()
    token = api_token_create(user=user, name="client").secret
    monkeypatch.setenv("SLOUGHGPT_URL", live_server.url)
    monkeypatch.setenv("SLOUGHGPT_API_TOKEN", token)
    return Client(retry=FAST_RETRY)


def test_a_run_logs_everything_and_finishes(client, tmp_path):
    # given
    checkpoint = tmp_path / "last.sou"
    checkpoint.write_bytes(b"\x00weights" * 5000)
    # when
    with client.start_run("tiny-gpt", "baseline", params={"lr": 3e-4}, batch_size=64) as run:
        for step in range(200):
            run.log_metrics({"loss": 5.0 / (step + 1), "lr": 3e-4}, step=step)
        run.log_params({"layers": 4})
        run.set_tags({"team": "nlp"})
        artifact = run.log_artifact(checkpoint, name="checkpoints/last.sou")
    # then
    stored = Run.objects.get(pk=run.id)
    assert stored.status == "finished"
    assert stored.params == {"lr": 3e-4, "layers": 4}
    assert stored.tags == {"team": "nlp"}
    assert MetricPoint.objects.filter(series__run=stored).count() == 400
    assert stored.metric_series.get(key="loss").last_value == 5.0 / 200
    assert artifact["path"] == "checkpoints/last.sou"
    assert artifact["sha256"] == hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    # and the experiment is reused by name, and searchable
    again = client.create_experiment("tiny-gpt")
    assert again.id == stored.experiment_id
    assert [r["id"] for r in client.search_runs(again.id, filter="metrics.loss < 0.1")] == [run.id]


def test_an_exception_marks_the_run_failed_after_flushing(client):
    # when
    with pytest.raises(RuntimeError), client.start_run("exp", "crashes", flush_interval=60) as run:
        run.log_metric("loss", 1.0, step=0)
        raise RuntimeError("out of memory")
    # then: the point logged before the crash was still sent
    stored = Run.objects.get(pk=run.id)
    assert stored.status == "failed"
    assert stored.metric_series.get(key="loss").count == 1


def test_bad_points_are_refused_at_the_call_site(client):
    with client.start_run("exp", "strict") as run:
        for bad in [float("nan"), float("inf"), "1.0", True]:
            with pytest.raises(ValueError):
                run.log_metric("loss", bad, step=0)
        with pytest.raises(ValueError):
            run.log_metric("loss", 1.0, step=-1)


def test_a_dropped_connection_is_retried(client, monkeypatch):
    # given: the network fails once, then recovers
    calls = []
    real_send = requests.adapters.HTTPAdapter.send

    def flaky_send(adapter, request, **kwargs):
        calls.append(request.url)
        if len(calls) == 1:
            raise requests.ConnectionError("connection reset by peer")
        return real_send(adapter, request, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", flaky_send)
    # when
    experiment = client.create_experiment("survives-a-reset")
    # then
    assert len(calls) == 2
    assert experiment.name == "survives-a-reset"


def test_a_metrics_batch_whose_answer_is_lost_is_stored_once(client, monkeypatch):
    # given a network that delivers the first metrics batch but loses the server's answer
    real_send = requests.adapters.HTTPAdapter.send
    sent = []

    def answer_lost_once(adapter, request, **kwargs):
        response = real_send(adapter, request, **kwargs)
        if "/metrics/" in request.url:
            sent.append(request.headers["Idempotency-Key"])
            if len(sent) == 1:
                raise requests.ConnectionError("connection reset after the request was sent")
        return response

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", answer_lost_once)
    # when the run logs points and finishes (the client resends the batch)
    with client.start_run("flaky-network", batch_size=100) as run:
        for step in range(10):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
    # then the batch went twice under one key, and each point is stored once
    assert len(sent) == 2 and sent[0] == sent[1]
    assert MetricPoint.objects.filter(series__run_id=run.id).count() == 10


def test_client_errors_are_not_retried(client, monkeypatch):
    # given
    calls = []
    real_send = requests.adapters.HTTPAdapter.send

    def counting_send(adapter, request, **kwargs):
        calls.append(request.url)
        return real_send(adapter, request, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", counting_send)
    # when
    with pytest.raises(ApiError) as error:
        client.start_run(999_999, "nowhere")
    # then
    assert error.value.status == 404
    assert len(calls) == 1


def test_a_wrong_token_is_refused(live_server, db):
    client = Client(live_server.url, "sg_deadbeef_not-a-real-token", retry=FAST_RETRY)
    with pytest.raises(ApiError) as error:
        client.create_experiment("x")
    assert error.value.status == 401


def test_server_errors_and_429_wait_as_told(monkeypatch):
    # given: a server that answers 429 (Retry-After: 0) and then 200, without a network
    answers = iter([(429, {"Retry-After": "0"}), (200, {})])
    waits = []

    def fake_send(adapter, request, **kwargs):
        status, headers = next(answers)
        response = requests.Response()
        response.status_code, response.url, response._content = status, request.url, b'{"id": 1}'
        response.headers.update(headers)
        return response

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", fake_send)
    monkeypatch.setattr("sloughgpt.client.time.sleep", waits.append)
    # when
    response = Client("http://sloughgpt.invalid", "sg_x_y", retry=FAST_RETRY).request("GET", "me/")
    # then
    assert response.status_code == 200
    assert waits == [0.0]
