"""On a real Celery worker: a recipe-style train part has its basic features computed, then a
run trains on it shortest first, validating on the validation part, and finishes."""

from __future__ import annotations

import time

import pytest

from apps.pipelines.tests.factories import jsonl, valid_version

from .factories import tiny_config
from .test_feature_order import RECORDS

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def _wait_for(fetch, done, timeout: float = 180, what: str = "the worker"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fetch()
        if done(value):
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; last seen: {value}")


def test_a_curriculum_run_trains_on_the_worker(celery_worker_process, make_user, api_client_for):
    # given a train and a validation part, the train part's basic features computed on the worker
    user = make_user()
    client = api_client_for(user)
    train_part = valid_version(user, jsonl(RECORDS), name="corpus (train)")
    val_part = valid_version(user, jsonl(RECORDS[:8]), name="corpus (validation)")
    url = f"/api/v1/dataset-versions/{train_part.pk}/features/"
    assert client.post(url, {"groups": ["basic"]}, format="json").status_code == 202
    computed = _wait_for(lambda: client.get(url).json(), lambda ms: ms[0]["status"] in ("succeeded", "failed"),
                         what="the features")
    assert computed[0]["status"] == "succeeded", computed[0]["error"]

    # when a run orders its records by length and validates on the other part
    created = client.post("/api/v1/training-runs/", {
        "dataset_version_id": train_part.pk, "val_dataset_version_id": val_part.pk,
        "curriculum": {"feature": "chars", "order": "asc"}, "config": tiny_config(max_iters=4),
    }, format="json")
    assert created.status_code == 201, created.json()
    run = _wait_for(lambda: client.get(f"/api/v1/training-runs/{created.json()['id']}/").json(),
                    lambda r: r["status"] in ("finished", "failed", "cancelled"), what="the run")

    # then it trained to the end and kept its choices
    assert run["status"] == "finished", run["error"]
    assert run["step"] == 4 and run["best_val_loss"] is not None
    assert run["curriculum"] == {"feature": "chars", "order": "asc"}
    assert run["val_dataset_version"] == val_part.pk
