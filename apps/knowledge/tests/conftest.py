"""Knowledge test helpers: the RAG tests' collection and ready-document factories, and
a ready document whose graph is built in-process (the worker's own service)."""

import pytest

from apps.rag.tests.conftest import (  # noqa: F401 (fixtures, shared with the RAG tests)
    make_collection,
    make_ready_document,
    media_root,
    one_torch_thread,
)


@pytest.fixture
def make_graph_document(request):
    from apps.knowledge.services import document_graph_build

    ready_document = request.getfixturevalue("make_ready_document")

    def make(collection, name: str, texts: list[str]):
        document = ready_document(collection, name, texts)
        document_graph_build(document_id=document.pk)
        document.refresh_from_db()
        return document

    return make
