"""A LoRA fine-tune on a real Celery worker, end to end through the API: a tiny ready model
version and instruction pairs -> the run finishes on the `train` queue -> its result registers
as a version whose lineage names the base -> the import merges the adapters -> the new
version answers on /v1/chat/completions."""

from __future__ import annotations

import time

import pytest

from apps.accounts.services import api_token_create
from apps.chat.tests.factories import model_version

from .test_fine_tune import PAIRS, fine_tune_config

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def _wait_for(fetch, done, timeout: float = 300, what: str = "the worker"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fetch()
        if done(value):
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; last seen: {value}")


def _pairs_version(client) -> dict:
    dataset = client.post("/api/v1/datasets/", {"name": "sea talk"}, format="json").json()
    version = client.post(f"/api/v1/datasets/{dataset['id']}/versions/?filename=pairs.jsonl", data=PAIRS.encode(),
                          content_type="application/octet-stream").json()
    return _wait_for(lambda: client.get(f"/api/v1/dataset-versions/{version['id']}/").json(),
                     lambda v: v["status"] != "validating", what="dataset validation")


def test_a_lora_fine_tune_finishes_registers_with_its_base_and_answers(celery_worker_process, make_user,
                                                                        api_client_for):
    # given a user with a tiny ready model version and validated instruction pairs
    user = make_user()
    client = api_client_for(user)
    base = model_version(user, name="tiny", max_tokens=4)
    dataset_version = _pairs_version(client)
    assert dataset_version["report"]["kinds"] == {"pair": 48}
    # when a LoRA fine-tune of the version runs on the worker
    created = client.post("/api/v1/training-runs/", {
        "base_model_version_id": base.pk, "method": "lora", "dataset_version_id": dataset_version["id"],
        "config": fine_tune_config(max_iters=4, lora={"r": 2}),
    }, format="json").json()
    run = _wait_for(lambda: client.get(f"/api/v1/training-runs/{created['id']}/").json(),
                    lambda r: r["status"] in ("finished", "failed", "cancelled"), what="the fine-tune")
    assert run["status"] == "finished", run["error"]
    # and its result is registered and imported
    version = client.post("/api/v1/model-versions/from-run/", {"training_run_id": run["id"], "name": "tuned"},
                          format="json").json()
    version = _wait_for(lambda: client.get(f"/api/v1/model-versions/{version['id']}/").json(),
                        lambda v: v["status"] != "importing", what="the import")
    # then the version is ready, names its base, and keeps its adapter
    assert version["status"] == "ready", version["error"]
    assert version["base_version"] == base.pk and version["has_adapter"] is True
    assert version["dataset_version"] == dataset_version["id"]
    # and it answers through the OpenAI-compatible API
    token = api_token_create(user=user, name="v1").secret
    answer = api_client_for().post(
        "/v1/chat/completions", {"model": "tuned:1.0.0", "messages": [{"role": "user", "content": "Say sea."}],
                                 "max_tokens": 4},
        format="json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 200, answer.content
    assert answer.json()["choices"][0]["message"]["content"]
