"""Datasets kept in S3 (a real moto server): an upload streams into the bucket, validation
reads it through the worker's cache, a download is a redirect to a short-lived link that
serves the bytes, and deleting the version removes the object and gives the quota back. A
zip's extracted files are stored too, so a worker on another disk trains on them."""

from __future__ import annotations

import io
import urllib.request

import pytest
from django.core.exceptions import ValidationError

from apps.core import storage as core_storage
from apps.datasets import services
from apps.datasets.models import DatasetVersion
from apps.quotas.accounts import account_for_user
from apps.quotas.storage import storage_used
from apps.training import services as training_services

from .factories import jsonl, zip_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, settings, tmp_path, s3_storage):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLOUGHGPT_WORKER_CACHE_DIR = str(tmp_path / "worker-cache")
    return make_user()


def _upload(client, data: bytes, filename: str = "poems.jsonl"):
    dataset_id = client.post("/api/v1/datasets/", {"name": "poems"}, format="json").json()["id"]
    return client.post(f"/api/v1/datasets/{dataset_id}/versions/?filename={filename}", data=data,
                       content_type="application/octet-stream")


def test_an_upload_lands_in_the_bucket_and_downloads_through_a_short_lived_link(
        owner, api_client_for, s3_storage, tmp_path, django_capture_on_commit_callbacks):
    # given
    client = api_client_for(owner)
    body = jsonl([{"text": "Shall I compare thee to a summer's day?"}, {"text": "Thou art more lovely."}])
    # when
    response = _upload(client, body)
    version = services.dataset_version_validate(version_id=response.json()["id"])
    # then the object is in the bucket under the owner, not on the web machine's disk
    assert response.status_code == 201, response.json()
    assert s3_storage.keys() == [f"datasets/{owner.pk}/{version.pk}/poems.jsonl"]
    assert not (tmp_path / "media" / "datasets").exists()
    assert version.status == DatasetVersion.Status.VALID and version.report["records"] == 2
    assert client.get("/api/v1/storage/").json()["used_bytes"] == len(body)
    # when it is downloaded
    download = client.get(f"/api/v1/dataset-versions/{version.pk}/download/")
    # then the answer is a redirect to a link that serves the file as an attachment
    assert download.status_code == 302
    assert download["Cache-Control"] == "private, no-store"  # the link is a credential while it lasts
    with urllib.request.urlopen(download["Location"]) as served:  # noqa: S310 (the test's moto server)
        assert served.read() == body
        assert "poems.jsonl" in served.headers["Content-Disposition"]
    # when the version is deleted
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/dataset-versions/{version.pk}/").status_code == 204
    # then the object is gone and its bytes are given back
    assert s3_storage.keys() == []
    assert client.get("/api/v1/storage/").json()["used_bytes"] == 0


def test_an_upload_cut_short_leaves_nothing_in_the_bucket(owner, s3_storage):
    # given a client that declares more bytes than it sends
    dataset = services.dataset_create(user=owner, name="poems")
    # when
    with pytest.raises(ValidationError, match="cut short"):
        services.dataset_version_upload(user=owner, dataset_id=dataset.pk, stream=io.BytesIO(b"only some"),
                                        filename="poems.txt", content_length=100)
    # then
    assert s3_storage.keys() == [] and s3_storage.multipart_uploads() == []
    assert storage_used(account_for_user(owner)) == 0
    assert not DatasetVersion.objects.exists()


def _host(settings, tmp_path, name: str) -> None:
    """This process now stands for a host with an empty disk of its own."""
    settings.MEDIA_ROOT = tmp_path / name / "media"
    settings.SLOUGHGPT_WORKER_CACHE_DIR = str(tmp_path / name / "cache")


def _on_disk(tmp_path, host: str) -> list[str]:
    media = tmp_path / host / "media"
    return [path.relative_to(media).as_posix() for path in media.rglob("*") if path.is_file()]


LINES = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n"


# Committed: training on S3 stores checkpoints from a thread with its own database connection.
@pytest.mark.django_db(transaction=True)
def test_a_zip_dataset_uploaded_on_the_web_host_trains_on_a_worker_with_its_own_disk(
        make_user, api_client_for, settings, tmp_path, s3_storage, django_capture_on_commit_callbacks):
    # given a zip uploaded through the web host and validated by a worker
    _host(settings, tmp_path, "web")
    owner = make_user()
    client = api_client_for(owner)
    archive = zip_of({"acts/one.txt": (LINES * 20).encode(), "two.txt": (LINES * 20).encode()})
    uploaded = _upload(client, archive, "hamlet.zip").json()
    _host(settings, tmp_path, "validator")
    version = services.dataset_version_validate(version_id=uploaded["id"])
    assert version.status == DatasetVersion.Status.VALID, version.report
    # which read the stored files through its bounded cache, keeping no copy of its own
    assert not [name for name in _on_disk(tmp_path, "validator") if name.startswith("datasets/")]
    # when a run on it is created on the web host and executed by a train worker on another disk
    _host(settings, tmp_path, "web")
    run = training_services.training_run_create(user=owner, dataset_version_id=version.pk, config={
        "model": {"preset": "nanogpt-char", "n_layer": 1, "n_head": 2, "n_embd": 32, "block_size": 16},
        "train": {"max_iters": 5, "batch_size": 4, "eval_interval": 5, "eval_iters": 1}})
    _host(settings, tmp_path, "trainer")
    status = training_services.training_run_execute(training_run_id=run.pk, execution_id="trainer")
    # then it trained on the zip's files, which the bucket holds beside the zip
    run.refresh_from_db()
    assert status == "finished", run.error
    prefix = f"datasets/{owner.pk}/{version.pk}/"
    assert {f"{prefix}hamlet.zip", f"{prefix}extracted/acts/one.txt", f"{prefix}extracted/two.txt"} <= set(
        s3_storage.keys())
    # and they count against the quota as stored, with nothing on the web host's disk
    version.refresh_from_db()
    assert version.stored_bytes == core_storage.remote_bytes(core_storage.local_path(prefix))
    assert not [name for name in _on_disk(tmp_path, "web") if name.startswith("datasets/")]


def test_deleting_a_zip_dataset_removes_its_extracted_files_from_the_bucket_and_the_quota(
        owner, api_client_for, s3_storage, django_capture_on_commit_callbacks):
    # given a validated zip
    client = api_client_for(owner)
    archive = zip_of({"one.txt": b"first file\n", "two.txt": b"second file\n"})
    version = services.dataset_version_validate(version_id=_upload(client, archive, "two.zip").json()["id"])
    assert storage_used(account_for_user(owner)) == version.stored_bytes > len(archive)
    # when it is deleted
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/dataset-versions/{version.pk}/").status_code == 204
    # then nothing of it stays in the bucket, and every byte it was charged is given back
    assert s3_storage.keys() == []
    assert storage_used(account_for_user(owner)) == 0


def test_a_personality_learned_from_a_zip_dataset_leaves_no_copy_of_it_on_the_web_host(
        make_user, api_client_for, settings, tmp_path, s3_storage):
    # given a zip dataset validated on a worker
    _host(settings, tmp_path, "web")
    owner = make_user()
    client = api_client_for(owner)
    lines = "".join(f"I love sunny day number {i}, it is wonderful!\n" for i in range(30))
    uploaded = _upload(client, zip_of({"acts/one.txt": lines.encode()}), "cheer.zip").json()
    _host(settings, tmp_path, "validator")
    assert services.dataset_version_validate(version_id=uploaded["id"]).status == DatasetVersion.Status.VALID
    # when the web host learns a personality from it
    _host(settings, tmp_path, "web")
    created = client.post("/api/v1/personalities/", {"kind": "learned", "name": "Fan",
                                                      "dataset_version_id": uploaded["id"]}, format="json")
    # then the personality exists, and the dataset's files were read without staying on its disk
    assert created.status_code == 201, created.json()
    assert not [name for name in _on_disk(tmp_path, "web") if name.startswith("datasets/")]


def test_a_zip_whose_files_cannot_all_be_stored_leaves_nothing_in_the_bucket_and_nothing_charged(
        owner, api_client_for, s3_storage, monkeypatch, django_capture_on_commit_callbacks):
    # given a dataset that stays, and a zip whose second file the bucket refuses
    client = api_client_for(owner)
    kept = jsonl([{"text": "kept dataset line"}])
    _upload(client, kept)
    version_id = _upload(client, zip_of({"a.txt": b"first file\n" * 50, "b.txt": b"second file\n" * 50}),
                         "two.zip").json()["id"]
    publish, published = core_storage.publish, []

    def refusing_the_second(path, *, key=None):
        published.append(path)
        if len(published) == 2:
            raise OSError("the bucket refused")
        return publish(path, key=key)

    monkeypatch.setattr(core_storage, "publish", refusing_the_second)
    # when it is validated
    version = services.dataset_version_validate(version_id=version_id)
    # then it is invalid, and none of its extracted files stays stored
    assert version.status == DatasetVersion.Status.INVALID
    assert not [key for key in s3_storage.keys() if "/extracted/" in key]
    # and deleting it gives back what it was charged, no more
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/dataset-versions/{version_id}/").status_code == 204
    assert storage_used(account_for_user(owner)) == len(kept)


def test_a_redelivered_validation_of_a_zip_charges_its_extracted_files_once(
        owner, api_client_for, s3_storage, django_capture_on_commit_callbacks):
    # given a zip whose validation charged its extracted files, then died before it finished
    client = api_client_for(owner)
    version_id = _upload(client, zip_of({"a.txt": b"first file\n" * 50}), "one.zip").json()["id"]
    services.dataset_version_validate(version_id=version_id)
    DatasetVersion.objects.filter(pk=version_id).update(status=DatasetVersion.Status.VALIDATING)
    # when the task is delivered again
    version = services.dataset_version_validate(version_id=version_id)
    # then the account is charged what the bucket holds, once
    assert version.status == DatasetVersion.Status.VALID
    assert storage_used(account_for_user(owner)) == version.stored_bytes == core_storage.remote_bytes(
        core_storage.local_path(f"datasets/{owner.pk}/{version_id}/"))
    # and deleting it gives everything back
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/dataset-versions/{version_id}/").status_code == 204
    assert storage_used(account_for_user(owner)) == 0


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_a_zip_with_a_hidden_folder_reads_the_same_on_every_backend(backend, make_user, settings, tmp_path, request):
    # given a zip with a visible file and a file in a hidden folder
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLOUGHGPT_WORKER_CACHE_DIR = str(tmp_path / "worker-cache")
    if backend == "s3":
        request.getfixturevalue("s3_storage")
    user = make_user()
    dataset = services.dataset_create(user=user, name="hidden")
    archive = zip_of({".data/a.txt": b"a line in a hidden folder\n", "b.txt": b"a visible line\n"})
    version, _ = services.dataset_version_upload(user=user, dataset_id=dataset.pk, stream=io.BytesIO(archive),
                                                 filename="hidden.zip", content_length=len(archive))
    # when it is validated
    version = services.dataset_version_validate(version_id=version.pk)
    # then only the visible file is read, whichever backend stores it
    assert version.status == DatasetVersion.Status.VALID, version.report
    assert version.report["records"] == 1
