"""Storage counts every kind of file, not datasets only: documents and run artifacts are
charged to the same account, refused with a 413 naming the numbers once it is full, and
their bytes come back when they are deleted."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.experiments.tests.factories import make_run
from apps.quotas.accounts import account_for_user
from apps.quotas.storage import storage_recompute, storage_used
from apps.rag.models import Document

from .factories import override

pytestmark = pytest.mark.django_db
COLLECTIONS = "/api/v1/rag/collections/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _document(client, collection_id: int, body: bytes):
    return client.post(f"{COLLECTIONS}{collection_id}/documents/",
                       {"file": SimpleUploadedFile("notes.txt", body)}, format="multipart")


def _artifact(client, run, body: bytes, name: str):
    return client.post(f"/api/v1/runs/{run.pk}/artifacts/",
                       {"file": SimpleUploadedFile(name, body)}, format="multipart")


def test_documents_and_artifacts_share_one_quota(make_user, api_client_for):
    # given a 1000-byte quota
    user = make_user()
    override(user=user, storage_bytes=1000)
    client = api_client_for(user)
    collection_id = client.post(COLLECTIONS, {"name": "notes"}, format="json").json()["id"]
    run = make_run(user)
    # when
    document = _document(client, collection_id, b"words " * 100)  # 600 bytes
    artifact = _artifact(client, run, b"\0" * 300, "weights.bin")
    refused = _artifact(client, run, b"\1" * 200, "more.bin")
    refused_document = _document(client, collection_id, b"more " * 40)
    # then
    assert (document.status_code, artifact.status_code) == (201, 201)
    assert refused.status_code == 413 and refused_document.status_code == 413
    assert "quota is 1000 bytes and 900 are used; this file needs 200 more" in refused.json()["error"]["message"]
    assert Document.objects.count() == 1
    assert storage_used(account_for_user(user)) == 900
    # and recomputing from the files finds the same
    storage_recompute()
    assert storage_used(account_for_user(user)) == 900
    # when the document is deleted
    client.delete(f"/api/v1/rag/documents/{document.json()['id']}/")
    # then its bytes are free again
    assert storage_used(account_for_user(user)) == 300
    assert _artifact(client, run, b"\1" * 200, "more.bin").status_code == 201
