"""The embedding task on a real Celery worker: an upload is chunked, embedded and searchable
without anyone calling the task by hand, and a redelivered task changes nothing."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.rag.models import Chunk, Document
from apps.rag.services import document_embed

pytestmark = [pytest.mark.slow, pytest.mark.worker]


def _wait_until_settled(document_id: int, timeout: float = 180) -> Document:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        document = Document.objects.get(pk=document_id)
        if document.status in (Document.Status.READY, Document.Status.FAILED):
            return document
        time.sleep(0.5)
    raise AssertionError(f"document {document_id} still {document.status} after {timeout} s")


def test_upload_is_embedded_by_the_worker_and_becomes_searchable(
    celery_worker_process, make_user, api_client_for
):
    # given
    user = make_user()
    client = api_client_for(user)
    collection = client.post(
        "/api/v1/rag/collections/",
        {"name": "travel", "chunk_size": 20, "chunk_overlap": 4},
        format="json",
    ).json()
    text = (
        b"The night train to Vienna leaves at nine. Sleeper cabins have three bunks. "
        b"Breakfast is served before arrival. The station has lockers for luggage."
    )
    # when
    uploaded = client.post(
        f"/api/v1/rag/collections/{collection['id']}/documents/",
        {"file": SimpleUploadedFile("trip.txt", text)},
        format="multipart",
    )
    document = _wait_until_settled(uploaded.json()["id"])
    # then
    assert document.status == Document.Status.READY, document.error
    assert document.chunk_count == Chunk.objects.filter(document=document).count() >= 2
    found = client.post(
        "/api/v1/rag/search/", {"query": "when does the train depart", "k": 1}, format="json"
    ).json()
    assert found["results"][0]["document_name"] == "trip.txt"
    assert "nine" in found["results"][0]["text"]
    # and when the task is delivered again, the chunks stay as they were
    before = list(Chunk.objects.filter(document=document).values_list("id", flat=True))
    document_embed(document_id=document.pk)
    assert list(Chunk.objects.filter(document=document).values_list("id", flat=True)) == before
