"""Writes for RAG: collections, document uploads (stored, extracted, queued for embedding)
and deletions, and the embedding step the worker runs."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.access import Action, access_get
from apps.core.notifications import notify_user
from apps.core.storage import keep_file
from apps.core.user_paths import error_text, plain_filename
from apps.quotas.accounts import account_of
from apps.quotas.storage import storage_charge
from apps.teams.audit import audit_record

from . import storage
from .chunking import chunk_text
from .extraction import ExtractionError, extract_text, format_for
from .models import Chunk, Collection, Document

logger = logging.getLogger(__name__)
MAX_CHUNK_SIZE = 400  # words; longer chunks lose their ends to the model's 256-token window
ERROR_CHARS = 1000  # enough to say what failed without storing a whole traceback


def _check_chunking(*, chunk_size: int, chunk_overlap: int) -> None:
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValidationError({"chunk_size": [f"Must be between 1 and {MAX_CHUNK_SIZE} words."]})
    if not 0 <= chunk_overlap < chunk_size:
        raise ValidationError(
            {"chunk_overlap": [f"Must be at least 0 and less than chunk_size ({chunk_size})."]}
        )


def _check_name_free(*, user, name: str, exclude_id: int | None = None) -> None:
    """Names are one per owner among their private collections (a team's are not counted)."""
    taken = Collection.objects.filter(owner=user, team__isnull=True, name=name).exclude(pk=exclude_id).exists()
    if taken:
        raise ValidationError({"name": [f"You already have a collection named {name!r}."]})


@transaction.atomic
def collection_create(
    *, user, name: str, description: str = "", chunk_size: int = 160, chunk_overlap: int = 32
) -> Collection:
    name = name.strip()
    _check_chunking(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    _check_name_free(user=user, name=name)
    collection = Collection.objects.create(
        owner=user,
        name=name,
        description=description,
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
    )
    collection.document_count = 0
    return collection


@transaction.atomic
def collection_update(*, user, collection_id: int, **changes) -> Collection:
    """Changes name, description or chunking (edit access); new chunking applies to
    documents uploaded afterwards."""
    collection = access_get(Collection.objects.select_for_update(), user=user, pk=collection_id,
                            action=Action.EDIT)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        if collection.team_id is None:
            _check_name_free(user=collection.owner, name=changes["name"], exclude_id=collection.pk)
    for field, value in changes.items():
        setattr(collection, field, value)
    _check_chunking(chunk_size=collection.chunk_size, chunk_overlap=collection.chunk_overlap)
    collection.save()
    collection.document_count = collection.documents.count()
    return collection


@transaction.atomic
def collection_delete(*, user, collection_id: int) -> None:
    """Deletes the collection, its documents, their chunks and their files (each document's
    bytes given back and its file removed on commit by apps.quotas.released). Locked: of two
    deletes at once the second is a 404."""
    collection = access_get(Collection.objects.select_for_update(of=("self",)), user=user, pk=collection_id,
                            action=Action.DELETE)
    audit_record(actor=user, action="collection.delete", target=collection, team=collection.team)
    collection.delete()


@transaction.atomic
def document_upload(*, user, collection_id: int, uploaded) -> Document:
    """Stores the file under the uploader's root (adding to a collection needs edit access),
    extracts its text (refusing bad files with the reason) and queues its embedding once the
    row is committed."""
    collection = access_get(Collection, user=user, pk=collection_id, action=Action.EDIT)
    # Only a display name: the stored file is named by the document's id.
    filename = plain_filename(uploaded.name or "", field="file")
    try:
        fmt = format_for(filename)
    except ExtractionError as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    storage.check_size(uploaded.size or 0)
    document = Document.objects.create(
        owner=user,
        collection=collection,
        name=filename,
        format=fmt,
        size_bytes=0,
        sha256="",
        text="",
    )
    path = storage.document_path(owner_id=user.pk, document_id=document.pk, fmt=fmt)
    stored = storage.store_upload(uploaded, path)
    # From here the file exists; a failure must remove it as the row is rolled back.
    try:
        storage_charge(account_of(collection), stored.size_bytes)  # 413 past the storage quota
        text = extract_text(path, fmt)
        keep_file(path)  # the text extracted from it is in the row
    except ExtractionError as exc:
        storage.remove_file(path)
        raise ValidationError({"file": [f"{filename}: {exc}"]}) from None
    except BaseException:
        storage.remove_file(path)
        raise
    document.size_bytes = stored.size_bytes
    document.sha256 = stored.sha256
    document.text = text
    document.save(update_fields=["size_bytes", "sha256", "text", "updated_at"])
    transaction.on_commit(lambda: _enqueue_embedding(document.pk))
    return document


def _enqueue_embedding(document_id: int) -> None:
    from .tasks import document_embed_task

    document_embed_task.delay(document_id)


@transaction.atomic
def document_delete(*, user, document_id: int) -> None:
    """Deletes the document, its chunks, its part of the knowledge graph and its file (delete
    access to its collection; its bytes given back and its file removed on commit by
    apps.quotas.released). Locked: of two deletes at once the second is a 404."""
    from apps.knowledge.services import collection_lock, document_graph_remove

    rows = Document.objects.select_related("collection").only(
        "id", "owner_id", "format", "name", "size_bytes", "collection__id", "collection__team", "collection__owner")
    collection_id = access_get(rows, user=user, pk=document_id, action=Action.DELETE).collection_id
    # The collection's row before the document's, as a graph build takes them: in the other
    # order the two could wait on each other.
    collection_lock(collection_id=collection_id)
    document = access_get(rows.select_for_update(of=("self",)), user=user, pk=document_id, action=Action.DELETE)
    audit_record(actor=user, action="document.delete", target=document, team=document.collection.team)
    document_graph_remove(document_id=document.pk)
    document.delete()


def document_embed(*, document_id: int) -> None:
    """Chunks and embeds one document, replacing any chunks it had. Safe to run again for
    the same id: a ready or failed document is left alone, a deleted one is skipped."""
    document = _claim(document_id)
    if document is None:
        return
    try:
        # Imported here, not at the top: only workers need torch and the model.
        from ml.personality.embeddings import embed

        collection = document.collection
        texts = chunk_text(
            document.text, size=collection.chunk_size, overlap=collection.chunk_overlap
        )
        vectors = embed(texts)  # (N, 384), unit length
        _store_chunks(document_id, texts, vectors)
    except Exception as exc:
        logger.exception("embedding document %s failed", document_id)
        _fail(document_id, error_text(exc)[:ERROR_CHARS])


@transaction.atomic
def _claim(document_id: int) -> Document | None:
    document = (
        Document.objects.select_for_update()
        .select_related("collection")
        .filter(pk=document_id)
        .first()
    )
    if document is None or document.status in (Document.Status.READY, Document.Status.FAILED):
        return None
    # A redelivered task finds "processing" (its worker died) and simply runs again.
    document.status = Document.Status.PROCESSING
    document.save(update_fields=["status", "updated_at"])
    return document


@transaction.atomic
def _store_chunks(document_id: int, texts: list[str], vectors) -> None:
    from apps.knowledge.services import collection_lock, document_graph_remove

    collection_id = Document.objects.filter(pk=document_id).values_list("collection_id", flat=True).first()
    if collection_id is not None:
        collection_lock(collection_id=collection_id)  # before the document's row, as a graph build
    document = Document.objects.select_for_update().filter(pk=document_id).first()
    if document is None:  # deleted while it was being embedded
        return
    document_graph_remove(document_id=document_id)  # its old chunks' facts, and entities only they named
    Chunk.objects.filter(document=document).delete()
    Chunk.objects.bulk_create(
        [
            Chunk(
                owner_id=document.owner_id,
                collection_id=document.collection_id,
                document=document,
                index=i,
                text=text,
                embedding=vector,
            )
            for i, (text, vector) in enumerate(zip(texts, vectors, strict=True))
        ],
        batch_size=500,
    )
    document.status = Document.Status.READY
    document.error = ""
    document.chunk_count = len(texts)
    # The knowledge task builds its graph anew from these chunks.
    document.graph_status = Document.GraphStatus.PENDING
    document.entity_count = document.relation_count = 0
    document.save(update_fields=["status", "error", "chunk_count", "graph_status", "entity_count",
                                 "relation_count", "updated_at"])
    _notify(document)


@transaction.atomic
def _fail(document_id: int, message: str) -> None:
    document = Document.objects.select_for_update().filter(pk=document_id).first()
    if document is None:
        return
    document.status = Document.Status.FAILED
    document.error = message
    document.save(update_fields=["status", "error", "updated_at"])
    _notify(document)


def _notify(document: Document) -> None:
    notify_user(
        user_id=document.owner_id,
        event={
            "type": "rag.document.status",
            "document_id": document.pk,
            "collection_id": document.collection_id,
            "status": document.status,
            "chunk_count": document.chunk_count,
            "error": document.error,
        },
    )
