"""Knowledge test helpers: the RAG tests' collection and ready-document factories, and
a ready document whose graph is built in-process (the worker's own service)."""

import pytest

from apps.rag.tests.conftest import make_collection, make_ready_document, media_root, one_torch_thread  # noqa: F401


@pytest.fixture
def make_graph_document(make_ready_document):
    from apps.knowledge.services import document_graph_build

    def make(collection, name: str, texts: list[str]):
        document = make_ready_document(collection, name, texts)
        document_graph_build(document_id=document.pk)
        document.refresh_from_db()
        return document

    return make
