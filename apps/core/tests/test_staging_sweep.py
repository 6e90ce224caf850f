"""The periodic sweep of the staging area (apps.core.storage.staging_sweep, run by
core.staging_sweep_task): what a process killed mid-upload left there (a body, or on S3 an
unfinished multipart upload) is kept while it could still be a live upload and deleted once
it is older than SLOUGHGPT_STAGING_MAX_AGE_S, on both backends; stored objects stay."""

from __future__ import annotations

import io
import time
import types

import pytest

from apps.core import storage
from apps.core.tasks import staging_sweep_task

pytestmark = pytest.mark.django_db

DAY_S = 24 * 3600


def _later(monkeypatch, seconds: int) -> None:
    """The sweep's clock, `seconds` from now."""
    now = time.time()
    monkeypatch.setattr(storage, "time", types.SimpleNamespace(time=lambda: now + seconds))


def _staging(bucket) -> list[str]:
    if bucket is None:
        folder = storage.local_path(storage.STAGING)
        return sorted(path.name for path in folder.glob("*")) if folder.is_dir() else []
    return [key for key in bucket.keys() if key.startswith(f"{storage.STAGING}/")] + [
        f"unfinished:{key}" for key in bucket.multipart_uploads()]


def test_what_a_killed_upload_left_in_staging_is_swept_once_it_is_old(any_backend, settings, monkeypatch):
    # given a stored blob, and a complete body in staging that its process never promoted
    settings.SLOUGHGPT_STAGING_MAX_AGE_S = DAY_S
    key, _, _ = storage.store_blob(io.BytesIO(b"kept"))
    storage.receive(io.BytesIO(b"abandoned body"))
    left = _staging(any_backend)
    # when a sweep runs now
    staging_sweep_task()
    # then it stays: it could be an upload still arriving
    assert _staging(any_backend) == left and len(left) == 1
    # given on S3 a multipart upload its process never finished (added only now: moto
    # reports every upload as begun in 2010, so a sweep always finds it old)
    if any_backend is not None:
        client = any_backend.server.client()
        upload = client.create_multipart_upload(Bucket=any_backend.name, Key=f"{storage.STAGING}/partial")
        client.upload_part(Bucket=any_backend.name, Key=f"{storage.STAGING}/partial", PartNumber=1,
                           UploadId=upload["UploadId"], Body=b"first part")
        assert len(_staging(any_backend)) == 2
    # when a sweep runs two days later
    _later(monkeypatch, 2 * DAY_S)
    staging_sweep_task()
    # then the staging area is empty, and the stored blob is still there
    assert _staging(any_backend) == []
    assert storage.open_blob(key).read() == b"kept"


def test_an_unfinished_multipart_upload_a_killed_worker_left_outside_staging_is_swept(s3_storage, settings,
                                                                                       monkeypatch):
    # given a checkpoint upload to its final key that a worker killed mid-part never finished
    settings.SLOUGHGPT_STAGING_MAX_AGE_S = DAY_S
    client, key = s3_storage.server.client(), "training/1/2/last/model.safetensors"
    upload = client.create_multipart_upload(Bucket=s3_storage.name, Key=key)
    client.upload_part(Bucket=s3_storage.name, Key=key, PartNumber=1, UploadId=upload["UploadId"],
                       Body=b"first part")
    # when a sweep runs two days later
    _later(monkeypatch, 2 * DAY_S)
    staging_sweep_task()
    # then its parts are gone from the bucket
    assert s3_storage.multipart_uploads() == []
