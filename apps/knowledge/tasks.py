"""Knowledge worker tasks: build one embedded document's part of its collection's graph."""

from celery import shared_task

from .services import document_graph_build


@shared_task(name="knowledge.knowledge_document_extract_task")
def knowledge_document_extract_task(document_id: int) -> None:
    document_graph_build(document_id=document_id)
