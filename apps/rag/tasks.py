"""RAG worker tasks: chunk and embed one uploaded document."""

from celery import shared_task

from .services import document_embed


@shared_task(name="rag.document_embed_task")
def document_embed_task(document_id: int) -> None:
    document_embed(document_id=document_id)
