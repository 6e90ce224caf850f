"""Two uploads that together exceed the storage quota, sent at once: exactly one is kept, the
other is a 413, and nothing of it stays stored (no version, no file, no bytes counted). Two
deletes of the same files at once give their bytes back once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from apps.datasets.models import DatasetVersion
from apps.experiments.models import Experiment, Run
from apps.experiments.tests.factories import make_run
from apps.quotas.accounts import account_for_user
from apps.quotas.storage import storage_used

from .factories import override


@pytest.mark.django_db(transaction=True)
def test_two_uploads_past_the_quota_at_once_keep_exactly_one(make_user, api_client_for, settings, tmp_path):
    # given a 100-byte quota and two 60-byte files
    settings.MEDIA_ROOT = tmp_path / "media"
    user = make_user()
    override(user=user, storage_bytes=100)
    dataset_id = api_client_for(user).post("/api/v1/datasets/", {"name": "d"}, format="json").json()["id"]
    start = threading.Barrier(2)
    statuses: list[int] = []

    def upload(name: str, byte: bytes):
        client = api_client_for(user)
        start.wait()
        try:
            response = client.post(f"/api/v1/datasets/{dataset_id}/versions/?filename={name}", data=byte * 60,
                                   content_type="application/octet-stream")
            statuses.append(response.status_code)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=upload, args=(f"{n}.txt", n.encode())) for n in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert sorted(statuses) == [201, 413]
    assert DatasetVersion.objects.count() == 1
    assert storage_used(account_for_user(user)) == 60
    stored = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    assert [p.stat().st_size for p in stored] == [60]


def _at_once(requests) -> list[int]:
    """Sends the requests from threads released together; their statuses."""
    start = threading.Barrier(len(requests))
    statuses: list[int] = []

    def send(request):
        start.wait()
        try:
            statuses.append(request().status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(request,)) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


@pytest.mark.django_db(transaction=True)
def test_two_deletes_of_one_version_at_once_give_its_bytes_back_once(make_user, api_client_for, settings, tmp_path):
    # given a 60-byte version beside a 40-byte one
    settings.MEDIA_ROOT = tmp_path / "media"
    user = make_user()
    client = api_client_for(user)
    dataset_id = client.post("/api/v1/datasets/", {"name": "d"}, format="json").json()["id"]
    versions = [client.post(f"/api/v1/datasets/{dataset_id}/versions/?filename={name}.txt", data=name.encode() * size,
                            content_type="application/octet-stream").json()["id"] for name, size in (("a", 60), ("b", 40))]
    # when the 60-byte one is deleted twice at once
    statuses = _at_once([lambda: api_client_for(user).delete(f"/api/v1/dataset-versions/{versions[0]}/")] * 2)
    # then one delete took it, and only its 60 bytes came back
    assert statuses == [204, 404]
    assert storage_used(account_for_user(user)) == 40
    assert [p.stat().st_size for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()] == [40]


@pytest.mark.django_db(transaction=True)
def test_deleting_a_run_and_its_experiment_at_once_gives_its_artifacts_back_once(
        make_user, api_client_for, settings, tmp_path):
    # given a run with a 60-byte artifact beside another experiment's 40-byte one
    settings.MEDIA_ROOT = tmp_path / "media"
    user = make_user()
    run, other = make_run(user), make_run(user)
    for target, size in ((run, 60), (other, 40)):
        api_client_for(user).post(f"/api/v1/runs/{target.pk}/artifacts/",
                                  {"file": SimpleUploadedFile("w.bin", b"\0" * size)}, format="multipart")
    # when the run and its experiment are deleted at once
    statuses = _at_once([
        lambda: api_client_for(user).delete(f"/api/v1/runs/{run.pk}/"),
        lambda: api_client_for(user).delete(f"/api/v1/experiments/{run.experiment_id}/"),
    ])
    # then both went (the run with the first to take it), and the run's 60 bytes came back once
    assert statuses in ([204, 204], [204, 404])
    assert not Run.objects.filter(pk=run.pk).exists() and not Experiment.objects.filter(pk=run.experiment_id).exists()
    assert storage_used(account_for_user(user)) == 40
