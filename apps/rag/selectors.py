"""Reads for RAG, always scoped to the requesting user (another user's id is a 404)."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from apps.core.selectors import owned_get, owned_queryset

from .models import Collection, Document


def collection_list(*, user) -> QuerySet[Collection]:
    # Meta.ordering does not survive an aggregate, so it is repeated here.
    return (
        owned_queryset(Collection, user=user)
        .annotate(document_count=Count("documents"))
        .order_by("-created_at", "-id")
    )


def collection_get(*, user, collection_id) -> Collection:
    return owned_get(collection_list(user=user), user=user, pk=collection_id)


def document_list(*, user, collection_id) -> QuerySet[Document]:
    collection = collection_get(user=user, collection_id=collection_id)
    # The extracted text can be megabytes; lists and detail views never show it.
    return owned_queryset(Document, user=user).filter(collection=collection).defer("text")


def document_get(*, user, document_id) -> Document:
    return owned_get(Document.objects.defer("text"), user=user, pk=document_id)
