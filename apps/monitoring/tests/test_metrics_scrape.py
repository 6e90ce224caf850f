"""/metrics as Prometheus scrapes it from a running site: daphne and a real thread-pool
inference worker write to one metrics folder, and one scrape of daphne shows both moving after
real requests (a /v1 chat completion with the tiny model, a model lookup by name) and a task
waiting in a queue no worker consumes."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from apps.accounts.services import api_token_create
from apps.chat.tests.conftest import inference_worker, media_root, var_dir  # noqa: F401
from apps.chat.tests.factories import model_version
from tests.processes import daphne_server

from .scrape import TOKEN, parse, value

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("inference_worker")]
# A task's final state is counted just after the task returns, which may be a moment after
# its reply reached the client: scrapes are repeated until then.
SETTLE_S = 30


@pytest.fixture(scope="module")
def server_url(django_db_setup, var_dir):  # noqa: F811 - the imported fixture
    with daphne_server(var_dir, var_dir / "daphne.log", extra_env={"SLOUGHGPT_METRICS_TOKEN": TOKEN}) as url:
        yield url


def _scrape(server_url: str) -> list:
    request = urllib.request.Request(f"{server_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return parse(response.read().decode())


def _call(server_url: str, path: str, token: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{server_url}{path}", data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def _scrape_until(server_url: str, settled) -> list:
    deadline = time.monotonic() + SETTLE_S
    samples = _scrape(server_url)
    while not settled(samples) and time.monotonic() < deadline:
        time.sleep(0.2)
        samples = _scrape(server_url)
    return samples


def test_a_chat_completion_moves_the_request_task_and_inference_series(server_url, make_user):
    # given a user's tiny model and an API token
    user = make_user()
    version = model_version(user, "tiny")
    token = api_token_create(user=user, name="metrics").secret
    task = {"task": "chat.completion_inference_task", "state": "success"}
    mine = {"model_version": str(version.pk)}
    before = _scrape(server_url)
    # when the user looks the model up by name and asks it for 8 tokens
    _call(server_url, "/v1/models/tiny:1.0.0", token)
    reply = _call(server_url, "/v1/chat/completions", token, {
        "model": "tiny", "max_tokens": 8, "messages": [{"role": "user", "content": "Tell me about the sea"}]})
    after = _scrape_until(server_url, lambda s: value(s, "sloughgpt_celery_tasks_total", **task)
                          > value(before, "sloughgpt_celery_tasks_total", **task))

    def moved(name: str, **labels) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # then the web process counted both requests under their URL patterns, never the raw path
    assert moved("sloughgpt_http_requests_total", method="POST", route="/v1/chat/completions",
                 status="200") == 1
    assert moved("sloughgpt_http_requests_total", method="GET", route="/v1/models/<path:model>",
                 status="200") == 1
    assert moved("sloughgpt_http_request_duration_seconds_count", route="/v1/chat/completions") == 1
    assert not any("tiny:1.0.0" in labels.get("route", "") for _, labels, _ in after)
    # the inference worker counted its task and the generation under the model version
    assert moved("sloughgpt_celery_tasks_total", **task) == 1
    assert moved("sloughgpt_celery_task_duration_seconds_count", task=task["task"]) == 1
    assert moved("sloughgpt_inference_time_to_first_token_seconds_count", **mine) == 1
    assert moved("sloughgpt_inference_completion_tokens_total", **mine) == \
        reply["usage"]["completion_tokens"] == 8
    assert moved("sloughgpt_inference_prompt_tokens_total", **mine) == reply["usage"]["prompt_tokens"]
    assert moved("sloughgpt_inference_batch_occupancy_ratio_count", **mine) == 1
    assert moved("sloughgpt_inference_model_cache_events_total", event="load", **mine) == 1
    assert value(after, "sloughgpt_inference_kv_cache_allocated_bytes", **mine) > 0


def test_a_task_waiting_in_a_queue_shows_in_its_length(server_url):
    # given no worker consumes the default queue here
    from apps.core.tasks import health_ping_task
    from sloughgpt_site.celery import app

    before = value(_scrape(server_url), "sloughgpt_celery_queue_length", queue="default")
    # when a task is sent to it
    health_ping_task.delay("waiting")
    try:
        after = _scrape(server_url)
    finally:
        app.control.purge()
    # then it is counted as waiting there, and the other queues are reported too
    assert value(after, "sloughgpt_celery_queue_length", queue="default") == before + 1
    assert {labels["queue"] for name, labels, _ in after if name == "sloughgpt_celery_queue_length"} \
        == {"default", "train", "inference"}
