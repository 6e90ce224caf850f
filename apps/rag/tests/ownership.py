"""Ownership-matrix cases for the RAG routes."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from apps.core.ownership import Case, Raw


def _collection(user):
    from apps.rag.services import collection_create

    collection = collection_create(user=user, name="owner-secret-collection")
    return {"collection_id": collection.pk}, "owner-secret-collection"


def _document(user):
    from apps.rag.models import Document
    from apps.rag.services import collection_create

    # A row without a file: the matrix runs outside the RAG tests' media folder.
    collection = collection_create(user=user, name="owner-secret-collection")
    document = Document.objects.create(
        owner=user,
        collection=collection,
        name="owner-secret-notes.txt",
        format="txt",
        size_bytes=14,
        sha256="0" * 64,
        text="Private notes.",
    )
    return {"document_id": document.pk}, "owner-secret-notes"


def _chunk(user):
    from apps.rag.models import EMBEDDING_DIM, Chunk, Document

    ids, marker = _document(user)
    document = Document.objects.get(pk=ids["document_id"])
    Chunk.objects.create(owner=user, collection=document.collection, document=document, index=0,
                         text=document.text, embedding=[1.0] * EMBEDDING_DIM)
    document.chunk_count = 1
    document.save(update_fields=["chunk_count"])
    return {**ids, "chunk_index": 0}, marker


def _upload(ids):
    upload = SimpleUploadedFile("notes.txt", b"Some notes to search.", content_type="text/plain")
    return Raw(encode_multipart(BOUNDARY, {"file": upload}), content_type=MULTIPART_CONTENT)


OWNED_ROUTES = {
    "api-v1:rag-collections": Case(setup=_collection),
    "api-v1:rag-collection-detail": Case(
        setup=_collection, methods={"get": None, "patch": {"name": "taken"}, "delete": None}
    ),
    "api-v1:rag-documents": Case(setup=_collection, methods={"get": None, "post": _upload}),
    "api-v1:rag-document-detail": Case(setup=_document, methods={"get": None, "delete": None}),
    "api-v1:rag-document-chunk": Case(setup=_chunk),
}

PUBLIC_ROUTES = {
    # The matrix sends ids in paths; this route takes them in its body, and
    # apps/rag/tests/test_retrieval.py shows another user's collection id there is a 404,
    # that results never include another user's chunks, and none from an unshared collection.
    "api-v1:rag-search": "collection ids travel in the POST body; see test_retrieval.py",
}
