"""The graph on a real Celery worker: an uploaded document is embedded, then its graph is
built without anyone calling a task by hand, and a two-hop question in hybrid+graph search
finds both documents."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.rag.models import Document

pytestmark = [pytest.mark.slow, pytest.mark.worker]


def _wait_for_graph(document_id: int, timeout: float = 180) -> Document:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        document = Document.objects.get(pk=document_id)
        if document.graph_status in (Document.GraphStatus.READY, Document.GraphStatus.EMPTY,
                                     Document.GraphStatus.FAILED) or document.status == Document.Status.FAILED:
            return document
        time.sleep(0.5)
    raise AssertionError(f"document {document_id} graph still {document.graph_status} after {timeout} s")


def test_uploads_get_a_graph_from_the_worker_and_answer_a_two_hop_question(
        celery_worker_process, make_user, api_client_for):
    # given
    client = api_client_for(make_user())
    collection = client.post("/api/v1/rag/collections/", {"name": "firms"}, format="json").json()
    texts = {"people.txt": b"Noah Keller works at Bluepeak Systems as an engineer.",
             "firms.txt": b"Bluepeak Systems is headquartered in Lyon. The company makes sensors."}
    # when
    ids = [client.post(f"/api/v1/rag/collections/{collection['id']}/documents/",
                       {"file": SimpleUploadedFile(name, text)}, format="multipart").json()["id"]
           for name, text in texts.items()]
    documents = [_wait_for_graph(pk) for pk in ids]
    # then
    assert [d.graph_status for d in documents] == ["ready", "ready"]
    graph = client.get(f"/api/v1/collections/{collection['id']}/graph/").json()
    assert {node["name"] for node in graph["nodes"]} == {"Noah Keller", "Bluepeak Systems", "Lyon", "engineer"}
    found = client.post("/api/v1/rag/search/", {
        "query": "In which city is the company that Noah Keller works for headquartered?",
        "collection_ids": [collection["id"]], "k": 2, "mode": "hybrid+graph"}, format="json").json()
    assert {r["document_name"] for r in found["results"]} == {"people.txt", "firms.txt"}
    firm = next(r for r in found["results"] if r["document_name"] == "firms.txt")
    assert firm["sentences"][0]["text"] == "Bluepeak Systems is headquartered in Lyon."
