"""Personality files kept in S3 (a real moto server), with the web host and each worker on a
disk of its own: a learned version's arrays, a neural version's space and an evaluation's
report and chart are stored in the bucket, read (and downloaded) from another host, leave no
copy on the disk that wrote them, count against the storage quota and go with their row."""

from __future__ import annotations

import io
import urllib.request
import zipfile

import pytest

from apps.core import storage as core_storage
from apps.personalities import evaluations, loader, services
from apps.personalities.models import PersonalityEvaluation, PersonalityVersion
from apps.quotas.accounts import account_for_user
from apps.quotas.storage import storage_used
from apps.registry import storage as registry_storage

from .factories import CHEERFUL, GLOOMY, config_personality, tiny_model_version

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _host(settings, tmp_path, name: str) -> None:
    """This process now stands for a host with an empty disk of its own (and, as a fresh
    process would, no personality loaded yet)."""
    settings.MEDIA_ROOT = tmp_path / name / "media"
    settings.SLOUGHGPT_WORKER_CACHE_DIR = str(tmp_path / name / "cache")
    loader._load.cache_clear()


def _stored_on_disk(tmp_path, host: str) -> list[str]:
    media = tmp_path / host / "media"
    return [path.relative_to(media).as_posix() for path in media.rglob("*") if path.is_file()]


def test_a_learned_personality_made_on_the_web_host_is_kept_in_the_bucket_and_loads_on_a_worker(
        make_user, api_client_for, settings, tmp_path, s3_storage, django_capture_on_commit_callbacks):
    # given a learned personality created through the web host
    _host(settings, tmp_path, "web")
    owner = make_user()
    client = api_client_for(owner)
    created = client.post("/api/v1/personalities/", {"kind": "learned", "name": "Fan", "examples": CHEERFUL[:20]},
                          format="json").json()
    version_id = created["current_version"]["id"]
    texts = [CHEERFUL[21], GLOOMY[0]]
    served = client.post(f"/api/v1/personalities/{created['id']}/score/", {"texts": texts}, format="json").json()
    download = client.get(f"/api/v1/personality-versions/{version_id}/download/")
    copied = client.post(f"/api/v1/personalities/{created['id']}/copy/", {"name": "Fan 2"}, format="json").json()
    copy_id = copied["current_version"]["id"]
    # when a worker on another disk loads it and its copy
    _host(settings, tmp_path, "worker")
    scores = [loader.personality_version_load(PersonalityVersion.objects.get(pk=pk)).score(texts)
              for pk in (version_id, copy_id)]
    # then their files are keys in the bucket, on neither host's disk, counted by the quota
    prefix, copy_prefix = (f"personalities/{owner.pk}/{pk}/" for pk in (version_id, copy_id))
    for stored in (prefix, copy_prefix):
        assert {f"{stored}learned.safetensors", f"{stored}train.jsonl"} <= set(s3_storage.keys())
    assert _stored_on_disk(tmp_path, "web") == [] and _stored_on_disk(tmp_path, "worker") == []
    assert storage_used(account_for_user(owner)) == sum(
        core_storage.remote_bytes(core_storage.local_path(stored)) for stored in (prefix, copy_prefix))
    # and the worker scores as the web host does, whose download carries the arrays
    for scored in scores:
        assert scored == pytest.approx([t["alignment"] for t in served["texts"]], abs=1e-6)
    assert sorted(zipfile.ZipFile(io.BytesIO(download.content)).namelist()) == [
        "learned.safetensors", "personality.json"]
    # when it is deleted
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/personalities/{created['id']}/").status_code == 204
    # then its objects are gone and its bytes given back; the copy's stay
    assert not [key for key in s3_storage.keys() if key.startswith(prefix)]
    assert storage_used(account_for_user(owner)) == core_storage.remote_bytes(core_storage.local_path(copy_prefix)) > 0


def test_copying_a_learned_personality_copies_its_files_inside_the_bucket(
        make_user, api_client_for, settings, tmp_path, s3_storage, monkeypatch):
    # given a learned personality stored in the bucket
    _host(settings, tmp_path, "web")
    owner = make_user()
    client = api_client_for(owner)
    created = client.post("/api/v1/personalities/", {"kind": "learned", "name": "Fan", "examples": CHEERFUL[:20]},
                          format="json").json()
    opened, open_blob = [], core_storage.open_blob
    monkeypatch.setattr(core_storage, "open_blob", lambda key: opened.append(key) or open_blob(key))
    # when it is copied
    copied = client.post(f"/api/v1/personalities/{created['id']}/copy/", {"name": "Fan 2"}, format="json").json()
    # then the copy holds the same files, and none of them was downloaded to make it
    stored = f"personalities/{owner.pk}/{copied['current_version']['id']}/"
    assert {f"{stored}learned.safetensors", f"{stored}train.jsonl"} <= set(s3_storage.keys())
    assert [key for key in opened if not key.endswith(core_storage.MANIFEST)] == []


def test_a_neural_personality_trained_on_a_worker_is_read_from_the_bucket_by_the_web_host(
        make_user, api_client_for, settings, tmp_path, s3_storage):
    # given a neural personality created through the web host
    _host(settings, tmp_path, "web")
    owner = make_user()
    client = api_client_for(owner)
    created = client.post("/api/v1/personalities/", {"kind": "neural", "name": "Fan", "examples": CHEERFUL[:12],
                                                     "epochs": 1}, format="json").json()
    version_id = created["current_version"]["id"]
    # when a train worker on another disk fits it
    _host(settings, tmp_path, "worker")
    version = services.personality_version_train(version_id=version_id)
    # then its space is in the bucket beside its texts, and the worker kept no copy
    assert version.status == PersonalityVersion.Status.READY, version.error
    prefix = f"personalities/{owner.pk}/{version_id}/"
    assert {f"{prefix}space.safetensors", f"{prefix}space.json", f"{prefix}train.jsonl"} <= set(s3_storage.keys())
    assert _stored_on_disk(tmp_path, "worker") == []
    assert storage_used(account_for_user(owner)) == core_storage.remote_bytes(core_storage.local_path(prefix))
    # when the web host scores with it and downloads it
    _host(settings, tmp_path, "web")
    scored = client.post(f"/api/v1/personalities/{created['id']}/score/", {"texts": [CHEERFUL[15]]},
                         format="json")
    download = client.get(f"/api/v1/personality-versions/{version_id}/download/")
    # then both work from the bucket, and the web host's disk holds none of it
    assert scored.status_code == 200, scored.json()
    assert {"space.safetensors", "space.json"} <= set(zipfile.ZipFile(io.BytesIO(download.content)).namelist())
    assert _stored_on_disk(tmp_path, "web") == []


def test_an_evaluation_run_on_a_worker_downloads_its_chart_from_the_bucket_on_the_web_host(
        make_user, api_client_for, settings, tmp_path, s3_storage, django_capture_on_commit_callbacks):
    # given a ready model version in the bucket and an evaluation of it queued
    _host(settings, tmp_path, "worker")
    owner = make_user()
    version = tiny_model_version(owner)
    canonical = registry_storage.canonical_sou(owner.pk, version.pk)
    version.sha256 = core_storage.file_sha256(canonical)
    version.save(update_fields=["sha256"])
    core_storage.keep_file(canonical)
    personality_version = config_personality(owner).current_version
    evaluation = evaluations.evaluation_create(user=owner, version=version, personality_version=personality_version,
                                               probe_ids=[0], max_tokens=2, enqueue=False)
    # when the worker runs it
    evaluations.personality_evaluation_execute(evaluation_id=evaluation.pk, execution_id="worker")
    # then its report and chart are keys in the bucket, not files on the worker's disk
    evaluation.refresh_from_db()
    assert evaluation.status == PersonalityEvaluation.Status.READY, evaluation.error
    prefix = f"personalities/{owner.pk}/evaluations/{evaluation.pk}/"
    assert {f"{prefix}persona_eval.json", f"{prefix}persona_eval.png"} <= set(s3_storage.keys())
    assert not [name for name in _stored_on_disk(tmp_path, "worker") if name.startswith("personalities/")]
    assert storage_used(account_for_user(owner)) == core_storage.remote_bytes(core_storage.local_path(prefix)) > 0
    # when the web host is asked for the chart
    _host(settings, tmp_path, "web")
    client = api_client_for(owner)
    chart = client.get(f"/api/v1/personality-evaluations/{evaluation.pk}/chart/")
    # then it redirects to a short-lived link that serves the PNG as an attachment
    assert chart.status_code == 302 and chart["Cache-Control"] == "private, no-store"
    with urllib.request.urlopen(chart["Location"]) as served:  # noqa: S310 (the test's moto server)
        assert served.read().startswith(b"\x89PNG")
        assert served.headers["Content-Type"] == "image/png"
        assert f"personality-evaluation-{evaluation.pk}.png" in served.headers["Content-Disposition"]
    assert _stored_on_disk(tmp_path, "web") == []
    # when the evaluated model is deleted (its evaluations go with it)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/models/{version.registered_model_id}/").status_code == 204
    # then the report and chart are gone from the bucket
    assert not [key for key in s3_storage.keys() if key.startswith(prefix)]
