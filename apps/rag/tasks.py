"""RAG worker tasks: chunk and embed one uploaded document, then have its part of the
collection's knowledge graph built (apps.knowledge)."""

from celery import shared_task

from .services import document_embed


@shared_task(name="rag.document_embed_task")
def document_embed_task(document_id: int) -> None:
    document_embed(document_id=document_id)
    from apps.knowledge.tasks import knowledge_document_extract_task

    # A task of its own: a graph that fails to build leaves the document searchable.
    knowledge_document_extract_task.delay(document_id)
