"""Datasets kept in S3 (a real moto server): an upload streams into the bucket, validation
reads it through the worker's cache, a download is a redirect to a short-lived link that
serves the bytes, and deleting the version removes the object and gives the quota back."""

from __future__ import annotations

import io
import urllib.request

import pytest
from django.core.exceptions import ValidationError

from apps.datasets import services
from apps.datasets.models import DatasetVersion
from apps.quotas.accounts import account_for_user
from apps.quotas.storage import storage_used

from .factories import jsonl

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
