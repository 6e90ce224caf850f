"""The product's core loop on a real Celery worker, real Redis and a real WebSocket: upload a
dataset -> validation -> train a tiny model -> live metrics over the run's socket ->
checkpoint -> model version -> quantized `.sou` export with its report. And a worker that
dies mid-run: the task is redelivered and training continues from the last checkpoint."""

from __future__ import annotations

import os
import signal
import time

import psutil
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from apps.accounts.services import api_token_create
from apps.experiments.models import MetricPoint
from apps.training.models import TrainingRun
from sloughgpt_site.asgi import application

pytestmark = [pytest.mark.worker, pytest.mark.slow]
TEXT = ("Now is the winter of our discontent\nMade glorious summer by this sun of York;\n") * 60


def _wait_for(fetch, done, timeout: float = 240, what: str = "the worker"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fetch()
        if done(value):
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; last seen: {value}")


async def _run_events(run_id: int, secret: str, timeout: float = 240) -> list[dict]:
    """Every event on the run's socket until it reports a final status."""
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"authorization", f"Bearer {secret}".encode())]
    communicator = WebsocketCommunicator(application, f"/ws/runs/{run_id}/", headers=headers)
    connected, code = await communicator.connect()
    assert connected, code
    events = []
    while True:
        event = await communicator.receive_json_from(timeout=timeout)
        events.append(event)
        if event.get("type") == "run.status" and event["status"] in ("finished", "failed", "cancelled"):
            break
    await communicator.disconnect()
    return events


def _dataset_version(client) -> dict:
    dataset = client.post("/api/v1/datasets/", {"name": "richard"}, format="json").json()
    version = client.post(
        f"/api/v1/datasets/{dataset['id']}/versions/?filename=richard.txt", data=TEXT.encode(),
        content_type="application/octet-stream",
    ).json()
    return _wait_for(
        lambda: client.get(f"/api/v1/dataset-versions/{version['id']}/").json(),
        lambda v: v["status"] != "validating", what="dataset validation",
    )


def _config(max_iters: int, eval_interval: int) -> dict:
    return {
        "model": {"preset": "nanogpt-char", "n_layer": 1, "n_head": 2, "n_embd": 32, "block_size": 16},
        "optim": {"warmup_iters": 5},
        "train": {"max_iters": max_iters, "batch_size": 4, "eval_interval": eval_interval,
                  "eval_iters": 2, "log_interval": 5},
    }


def test_upload_train_watch_register_and_export(celery_worker_process, make_user, api_client_for):
    # given a user with a validated dataset
    user = make_user()
    client = api_client_for(user)
    secret = api_token_create(user=user, name="ws").secret
    version = _dataset_version(client)
    assert version["status"] == "valid", version["report"]
    # when a training run is started and watched live
    created = client.post(
        "/api/v1/training-runs/", {"dataset_version_id": version["id"], "config": _config(60, 20)}, format="json"
    ).json()
    events = async_to_sync(_run_events)(created["run"], secret)
    # then metrics arrived over the socket while it trained, and it finished
    losses = [p for e in events if e["type"] == "run.metrics" for p in e["points"] if p["key"] == "loss"]
    assert len(losses) >= 5
    assert any(e["type"] == "run.progress" for e in events)
    assert events[-1]["status"] == "finished"
    training_run = client.get(f"/api/v1/training-runs/{created['id']}/").json()
    assert training_run["step"] == 60 and training_run["best_val_loss"] is not None
    artifacts = client.get(f"/api/v1/runs/{created['run']}/artifacts/").json()
    assert any(a["path"] == "checkpoints/last/model.safetensors" for a in artifacts.get("results", artifacts))

    # when the checkpoint is registered and exported
    model_version = client.post(
        "/api/v1/model-versions/from-run/", {"training_run_id": created["id"], "name": "richard"}, format="json"
    ).json()
    ready = _wait_for(
        lambda: client.get(f"/api/v1/model-versions/{model_version['id']}/").json(),
        lambda v: v["status"] != "importing", what="the model import",
    )
    assert ready["status"] == "ready", ready["error"]
    client.post(f"/api/v1/model-versions/{ready['id']}/exports/", {"qtypes": ["Q8_0"]}, format="json")
    exported = _wait_for(
        lambda: client.get(f"/api/v1/model-versions/{ready['id']}/").json()["exports"][0],
        lambda e: e["status"] not in ("queued", "running"), what="the export",
    )
    # then the export carries its quality report
    assert exported["status"] == "ready", exported["error"]
    report = exported["report"]
    assert report["size_bytes"] < report["f32_size_bytes"]
    assert {"perplexity", "perplexity_delta_pct", "kl_divergence", "tokens_per_s"} <= set(report)


def test_a_worker_killed_mid_run_is_recovered_from_the_last_checkpoint(
    celery_worker_process, make_user, api_client_for
):
    # given a run that checkpoints every 20 steps, well under way on the worker
    user = make_user()
    client = api_client_for(user)
    version = _dataset_version(client)
    created = client.post(
        "/api/v1/training-runs/", {"dataset_version_id": version["id"], "config": _config(400, 20)}, format="json"
    ).json()
    _wait_for(lambda: TrainingRun.objects.get(pk=created["id"]).step, lambda step: step >= 60,
              what="training to pass step 60")
    # when the process executing it dies (as under the OOM killer)
    for child in psutil.Process(celery_worker_process.pid).children(recursive=True):
        os.kill(child.pid, signal.SIGKILL)
    # then the task is redelivered and the run continues to the end from its checkpoint
    finished = _wait_for(lambda: TrainingRun.objects.get(pk=created["id"]),
                         lambda r: r.status in ("finished", "failed"), timeout=400, what="recovery")
    assert finished.status == "finished", finished.error
    assert finished.attempts == 2 and finished.step == 400
    steps = list(MetricPoint.objects.filter(series__run_id=created["run"], series__key="loss")
                 .values_list("step", flat=True))
    # logged once before the crash and again after resuming from step 40 or 60, not from 0
    assert min(steps) <= 10 and steps.count(5) == 1
