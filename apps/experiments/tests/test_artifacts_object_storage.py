"""Artifacts kept in S3 (a real moto server): an upload ends up in the bucket under ids, not
on the web machine's disk, downloads stream back from the bucket, and deleting the artifact
removes its object; an upload the bucket refuses leaves no file, row or charge behind."""

import hashlib

import pytest
from botocore.exceptions import ClientError
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.core import storage as core_storage
from apps.experiments.models import Artifact
from apps.quotas.accounts import account_for_user
from apps.quotas.storage import storage_used

from .factories import make_run

pytestmark = pytest.mark.django_db


def test_an_artifact_is_kept_in_the_bucket_downloaded_from_it_and_deleted_from_it(
        make_user, api_client_for, settings, tmp_path, s3_storage, django_capture_on_commit_callbacks):
    # given
    settings.MEDIA_ROOT = tmp_path / "media"
    user = make_user()
    run = make_run(user)
    client = api_client_for(user)
    content = b"weights " * 1000
    # when
    artifact = client.post(f"/api/v1/runs/{run.pk}/artifacts/",
                           {"file": SimpleUploadedFile("model.safetensors", content), "path": "best/model.safetensors"},
                           format="multipart").json()
    download = client.get(f"/api/v1/runs/{run.pk}/artifacts/{artifact['id']}/download/")
    # then
    assert s3_storage.keys() == [f"artifacts/{user.pk}/{run.pk}/{artifact['id']}"]
    assert not [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert download.status_code == 200
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == artifact["sha256"]
    # when
    with django_capture_on_commit_callbacks(execute=True):
        deleted = client.delete(f"/api/v1/runs/{run.pk}/artifacts/{artifact['id']}/")
    # then
    assert deleted.status_code == 204 and s3_storage.keys() == []


def test_an_artifact_the_bucket_refuses_leaves_no_file_no_row_and_no_charge(
        make_user, api_client_for, settings, tmp_path, s3_storage):
    # given a bucket that answers every upload with an error
    def refuse(**kwargs):
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "Please reduce your request rate"}},
                          "PutObject")

    settings.MEDIA_ROOT = tmp_path / "media"
    user = make_user()
    run = make_run(user)
    core_storage.backend().connection.meta.client.meta.events.register("before-call.s3.PutObject", refuse)
    # when
    response = api_client_for(user).post(
        f"/api/v1/runs/{run.pk}/artifacts/",
        {"file": SimpleUploadedFile("model.safetensors", b"weights " * 1000)}, format="multipart")
    # then the user is told to try again, and nothing of the upload stays anywhere or counts
    assert response.status_code == 503 and response.json()["error"]["code"] == "storage_unavailable"
    assert response["Retry-After"]
    assert not Artifact.objects.exists()
    assert s3_storage.keys() == []
    assert not [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert storage_used(account_for_user(user)) == 0
