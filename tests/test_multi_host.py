"""Web and workers on hosts that share no disk: daphne, a worker for `default` and `train`, and
an inference worker, each with its own var folder (its own MEDIA_ROOT and cache), sharing only
PostgreSQL, Redis and an S3 server (moto). A dataset is uploaded, a tiny model trained (its
checkpoint downloaded from the web host), registered, exported and asked for a completion,
and each step finds its files in the bucket: no host keeps another's files, nor the worker
its run's folder once the run has ended."""

from __future__ import annotations

import hashlib
import time
import uuid

import pytest
import requests

from apps.accounts.services import api_token_create
from tests.processes import celery_worker, daphne_server
from tests.test_core_loop import TEXT, _config

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def _wait_for(fetch, done, what: str, timeout: float = 180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fetch()
        if done(value):
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; last seen: {value}")


def _files(root) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def test_upload_train_register_export_and_chat_with_no_shared_disk(transactional_db, tmp_path, s3_server,
                                                                   make_user):
    # given three hosts' roots, one bucket, and a user with an API token
    from sloughgpt_site.celery import app

    bucket = f"sloughgpt-hosts-{uuid.uuid4().hex[:8]}"
    s3_server.client().create_bucket(Bucket=bucket)
    env = s3_server.environment(bucket)
    web, worker, inference = (tmp_path / name for name in ("web", "worker", "inference"))
    user = make_user()
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {api_token_create(user=user, name='hosts').secret}"
    app.control.purge()
    with (
        celery_worker(worker, tmp_path / "worker.log", queues="default,train", extra_env=env),
        celery_worker(inference, tmp_path / "inference.log", queues="inference", pool="threads",
                      concurrency=2, extra_env={**env, "OMP_NUM_THREADS": "1"}),
        daphne_server(web, tmp_path / "daphne.log", extra_env=env) as url,
    ):
        api = f"{url}/api/v1"

        def get(path: str) -> dict:
            return http.get(f"{api}{path}", timeout=30).json()

        # when a dataset is uploaded and a tiny model trained on it
        dataset = http.post(f"{api}/datasets/", json={"name": "richard"}, timeout=30).json()
        uploaded = http.post(f"{api}/datasets/{dataset['id']}/versions/?filename=richard.txt", data=TEXT.encode(),
                             headers={"Content-Type": "application/octet-stream"}, timeout=30).json()
        valid = _wait_for(lambda: get(f"/dataset-versions/{uploaded['id']}/"),
                          lambda v: v["status"] != "validating", "dataset validation")
        assert valid["status"] == "valid", valid["report"]
        created = http.post(f"{api}/training-runs/", json={"dataset_version_id": valid["id"],
                                                           "config": _config(20, 10)}, timeout=30).json()
        trained = _wait_for(lambda: get(f"/training-runs/{created['id']}/"),
                            lambda r: r["status"] not in ("queued", "running"), "training")
        assert trained["status"] == "finished", trained.get("error")
        # (the worker kept no copy of the run: registering must find it in the bucket)
        assert not [name for name in _files(worker) if name.startswith("media/training/")]
        artifacts = get(f"/runs/{created['run']}/artifacts/")["results"]
        weights = next(a for a in artifacts if a["path"] == "checkpoints/last/model.safetensors")
        weights_bytes = http.get(f"{api}/runs/{created['run']}/artifacts/{weights['id']}/download/", timeout=30).content

        # and its checkpoint is registered, exported and asked for a completion
        registered = http.post(f"{api}/model-versions/from-run/",
                               json={"training_run_id": created["id"], "name": "richard"}, timeout=30).json()
        ready = _wait_for(lambda: get(f"/model-versions/{registered['id']}/"),
                          lambda v: v["status"] != "importing", "the import")
        assert ready["status"] == "ready", ready["error"]
        http.post(f"{api}/model-versions/{ready['id']}/exports/", json={"qtypes": ["Q8_0"]}, timeout=30)
        exported = _wait_for(lambda: get(f"/model-versions/{ready['id']}/")["exports"][0],
                             lambda e: e["status"] not in ("queued", "running"), "the export")
        assert exported["status"] == "ready", exported["error"]
        download = http.get(f"{api}/model-exports/{exported['id']}/download/", allow_redirects=False, timeout=30)
        # (a 16-character model: a short prompt, as a completion)
        reply = http.post(f"{url}/v1/completions", timeout=120, json={
            "model": "richard:1.0.0:Q8_0", "max_tokens": 4, "prompt": "Now is"}).json()

    # then every step worked: the web host serves the checkpoint the worker wrote, and the
    # export downloads from a short-lived link to the bucket
    assert hashlib.sha256(weights_bytes).hexdigest() == weights["sha256"]
    # (a tiny model may end its reply early with its end-of-text token)
    choice, usage = reply["choices"][0], reply["usage"]
    assert (choice["finish_reason"], usage["completion_tokens"]) == ("length", 4) or (
        choice["finish_reason"] == "stop" and usage["completion_tokens"] < 4), reply
    assert download.status_code == 302 and download.headers["Location"].startswith(s3_server.endpoint_url)
    exported_bytes = requests.get(download.headers["Location"], timeout=30).content
    assert hashlib.sha256(exported_bytes).hexdigest() == exported["sha256"]
    keys = {item["Key"] for item in s3_server.client().list_objects_v2(Bucket=bucket)["Contents"]}
    owner, version = user.pk, ready["id"]
    assert {f"registry/{owner}/{version}/model.sou", f"registry/{owner}/{version}/exports/Q8_0.sou",
            f"datasets/{owner}/{valid['id']}/richard.txt"} <= keys
    assert any(key.startswith(f"training/{owner}/{created['id']}/last/") for key in keys)
    # and no process kept another's files: the web host stored nothing on its disk, the
    # inference host holds only its cached copy of the export, and no model files stay
    # on the worker (they are in the bucket)
    assert not [name for name in _files(web) if name.startswith("media/")]
    inference_files = _files(inference)
    assert not [name for name in inference_files if name.startswith("media/")]
    assert [name for name in inference_files if name.startswith("cache/objects/entries/")
            and name.endswith("/Q8_0.sou")]
    assert not [name for name in _files(worker) if name.startswith(("media/registry/", "media/artifacts/"))]
