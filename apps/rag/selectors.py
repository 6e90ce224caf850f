"""Reads for RAG through the access policy (apps.core.access): the user's collections and
those their teams own or are shared (any other id is a 404), each with `access_role`."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from rest_framework.exceptions import NotFound

from apps.core.access import Action, access_annotate, access_get, access_queryset, access_scope

from .models import Chunk, Collection, Document


def collection_list(*, user, scope: str | None = None) -> QuerySet[Collection]:
    queryset = access_scope(access_queryset(Collection, user=user), user=user, scope=scope)
    # A subquery, not a GROUP BY: access roles are then worked out only for the page's rows.
    documents = (Document.objects.filter(collection=OuterRef("pk")).order_by()
                 .values("collection").annotate(n=Count("pk")).values("n"))
    return (access_annotate(queryset, user=user).annotate(document_count=Coalesce(Subquery(documents), 0))
            .order_by("-created_at", "-id"))


def collection_get(*, user, collection_id, action: Action = Action.READ) -> Collection:
    """A collection the user may do `action` to (404 if unreadable, 403 if read-only)."""
    return access_get(collection_list(user=user), user=user, pk=collection_id, action=action)


def _documents(*, user) -> QuerySet[Document]:
    # The extracted text can be megabytes; lists and detail views never show it.
    return access_annotate(access_queryset(Document, user=user), user=user).defer("text")


def document_list(*, user, collection_id, scope: str | None = None) -> QuerySet[Document]:
    collection = access_get(Collection, user=user, pk=collection_id)
    return access_scope(_documents(user=user), user=user, scope=scope).filter(collection=collection)


def document_get(*, user, document_id) -> Document:
    return access_get(_documents(user=user), user=user, pk=document_id)


@dataclass(frozen=True)
class ChunkPlace:
    """One chunk of a document, read in place: its text and the chunks either side of it."""

    document: Document
    index: int
    text: str
    previous_index: int | None  # None at the document's first chunk
    next_index: int | None  # None at its last


def document_chunk_get(*, user, document_id, chunk_index: int) -> ChunkPlace:
    """The document's chunk `chunk_index` (what a citation or a graph fact points at), for
    anyone who may read the document; others get the document's 404. A chunk the document
    does not have (not embedded yet, or past its end) is a 404 naming the part."""
    document = document_get(user=user, document_id=document_id)
    text = Chunk.objects.filter(document=document, index=chunk_index).values_list("text", flat=True).first()
    if text is None:
        raise NotFound(f"{document.name} has no part {chunk_index + 1}.")
    # Chunks are numbered 0..chunk_count-1, written in one transaction with the count.
    return ChunkPlace(document=document, index=chunk_index, text=text,
                      previous_index=chunk_index - 1 if chunk_index > 0 else None,
                      next_index=chunk_index + 1 if chunk_index + 1 < document.chunk_count else None)
