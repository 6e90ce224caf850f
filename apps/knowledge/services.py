"""Writes for the knowledge graph: building a document's part of its collection's graph from
its stored chunks (the worker's step after embedding), and pruning entities no document
mentions any more.

A build reads the chunks, extracts entities and relations (ml.knowledge), merges the
document's mentions into entities, then links each to the collection's node of the same
normalized name or spelling, or of a nearly identical name embedding, creating it otherwise.
The writes happen with the collection's row locked, so two documents of one collection
building at once cannot both create one entity."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from apps.core.notifications import notify_user
from apps.core.user_paths import error_text
from apps.rag.models import Chunk, Collection, Document
from ml.knowledge.merge import MERGE_SIMILARITY, MergedEntity, merge_mentions, normalize_name

from .models import Entity, Mention, Relation

logger = logging.getLogger(__name__)
ERROR_CHARS = 1000
MAX_NAME_CHARS = 200  # Entity.name's column; a longer "name" is a parse gone wrong


@dataclass(frozen=True)
class _Found:
    """What extraction found in one document, ready to store."""

    chunk_ids: list[int]
    entities: list[MergedEntity]  # the document's own entities
    vectors: list  # (384,) name embedding per entity
    mentions: list[tuple[int, int, int, int]]  # (entity index, chunk id, start, end)
    # (subject index, predicate, object index, chunk id, sentence, start, end)
    relations: list[tuple[int, str, int, int, str, int, int]]


def document_graph_build(*, document_id: int) -> None:
    """Builds the document's part of its collection's graph from its chunks, replacing what
    it had. Safe to run again: a deleted document, one not embedded, or one whose graph is
    built is left alone."""
    if not _claim(document_id):
        return
    try:
        found = _extract(document_id)
        _store(document_id, found)
    except Exception as exc:
        logger.exception("building the graph of document %s failed", document_id)
        _finish(document_id, Document.GraphStatus.FAILED, error=error_text(exc)[:ERROR_CHARS])


@transaction.atomic
def _claim(document_id: int) -> bool:
    document = Document.objects.select_for_update().filter(pk=document_id).only(
        "id", "status", "graph_status").first()
    if document is None or document.status != Document.Status.READY:
        return False
    if document.graph_status not in (Document.GraphStatus.PENDING, Document.GraphStatus.BUILDING):
        return False
    # A redelivered task finds "building" (its worker died) and runs again.
    Document.objects.filter(pk=document_id).update(graph_status=Document.GraphStatus.BUILDING)
    return True


def _extract(document_id: int) -> _Found:
    # Imported here: only workers load spaCy and torch.
    from ml.knowledge.extract import extract
    from ml.personality.embeddings import embed

    chunks = list(Chunk.objects.filter(document_id=document_id).order_by("index").values_list("id", "text"))
    extractions = extract([text for _, text in chunks])
    flat = [(chunk_id, mention) for (chunk_id, _), found in zip(chunks, extractions, strict=True)
            for mention in found.entities if normalize_name(mention.text)
            and len(mention.text) <= MAX_NAME_CHARS]
    names = [mention.text for _, mention in flat]
    distinct = list(dict.fromkeys(names))
    vectors = embed(distinct) if distinct else []
    by_name = dict(zip(distinct, vectors, strict=True))
    entities = merge_mentions(names, [m.label for _, m in flat],
                              embeddings=[by_name[name] for name in names] if names else None)
    entity_of = {(flat[i][0], flat[i][1]): index for index, entity in enumerate(entities) for i in entity.members}
    mentions = [(entity_of[(chunk_id, m)], chunk_id, m.start, m.end) for chunk_id, m in flat]
    relations = []
    for (chunk_id, text), found in zip(chunks, extractions, strict=True):
        for fact in found.relations:
            subject, obj = entity_of.get((chunk_id, fact.subject)), entity_of.get((chunk_id, fact.object))
            if subject is None or obj is None or subject == obj:
                continue
            start, end = found.sentences[fact.sentence_index]
            relations.append((subject, fact.predicate[:200], obj, chunk_id, text[start:end], start, end))
    return _Found(chunk_ids=[chunk_id for chunk_id, _ in chunks], entities=entities,
                  vectors=[by_name[entity.name] for entity in entities], mentions=mentions,
                  relations=list(dict.fromkeys(relations)))


@transaction.atomic
def _store(document_id: int, found: _Found) -> None:
    document = Document.objects.select_for_update().filter(pk=document_id).only(
        "id", "owner_id", "collection_id", "graph_status").first()
    if document is None or document.graph_status != Document.GraphStatus.BUILDING:
        return  # deleted, or re-embedded meanwhile (a newer build will run)
    if set(Chunk.objects.filter(document_id=document_id).values_list("id", flat=True)) != set(found.chunk_ids):
        return  # its chunks changed while extracting: the build after the re-embedding counts
    Collection.objects.select_for_update().filter(pk=document.collection_id).only("id").first()
    Mention.objects.filter(chunk__document_id=document_id).delete()
    Relation.objects.filter(chunk__document_id=document_id).delete()
    ids = [_entity_for(document, entity, vector) for entity, vector in zip(found.entities, found.vectors, strict=True)]
    owner, collection = document.owner_id, document.collection_id
    Mention.objects.bulk_create(
        [Mention(owner_id=owner, collection_id=collection, entity_id=ids[entity], chunk_id=chunk_id,
                 start=start, end=end) for entity, chunk_id, start, end in found.mentions],
        batch_size=1000)
    Relation.objects.bulk_create(
        [Relation(owner_id=owner, collection_id=collection, subject_id=ids[subject], predicate=predicate,
                  object_id=ids[obj], chunk_id=chunk_id, sentence=sentence, sentence_start=start,
                  sentence_end=end)
         for subject, predicate, obj, chunk_id, sentence, start, end in found.relations],
        batch_size=1000)
    entity_prune(collection_id=collection)
    status = Document.GraphStatus.READY if found.entities else Document.GraphStatus.EMPTY
    _finish(document_id, status, entity_count=len(set(ids)), relation_count=len(found.relations))


def _entity_for(document: Document, merged: MergedEntity, vector) -> int:
    """The id of the collection's node for `merged`: the one of that name or spelling, else
    one whose name embedding is nearly the same, else a new one. Aliases are added."""
    spellings = [merged.name, *merged.aliases]
    keys = list(dict.fromkeys(normalize_name(spelling) for spelling in spellings))
    nodes = Entity.objects.filter(collection_id=document.collection_id)
    entity = (nodes.filter(normalized_name=merged.normalized_name).first()
              or nodes.filter(alias_keys__overlap=keys).first()
              or _nearest(document.collection_id, vector))
    if entity is None:
        return Entity.objects.create(
            owner_id=document.owner_id, collection_id=document.collection_id, name=merged.name,
            normalized_name=merged.normalized_name, label=merged.label, aliases=merged.aliases,
            alias_keys=[key for key in keys if key != merged.normalized_name], embedding=vector).pk
    new_spellings = [s for s in spellings if s != entity.name and s not in entity.aliases]
    new_keys = [key for key in keys if key != entity.normalized_name and key not in entity.alias_keys]
    if new_spellings or new_keys:
        entity.aliases = [*entity.aliases, *new_spellings]
        entity.alias_keys = [*entity.alias_keys, *new_keys]
        entity.save(update_fields=["aliases", "alias_keys", "updated_at"])
    return entity.pk


def _nearest(collection_id: int, vector) -> Entity | None:
    from apps.rag.retrieval import vector_literal

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM knowledge_entity WHERE collection_id = %s"
            " AND 1 - (embedding <=> %s::vector) >= %s ORDER BY embedding <=> %s::vector LIMIT 1",
            [collection_id, vector_literal(vector), MERGE_SIMILARITY, vector_literal(vector)])
        row = cursor.fetchone()
    return Entity.objects.get(pk=row[0]) if row else None


def entity_prune(*, collection_id: int) -> int:
    """Deletes the collection's entities no chunk mentions any more (their document was
    deleted or re-embedded without them); returns how many."""
    mentioned = Mention.objects.filter(entity=OuterRef("pk"))
    deleted, _ = Entity.objects.filter(collection_id=collection_id).exclude(Exists(mentioned)).delete()
    return deleted


def _finish(document_id: int, status: str, *, entity_count: int = 0, relation_count: int = 0,
            error: str = "") -> None:
    with transaction.atomic():
        updated = Document.objects.filter(pk=document_id).update(
            graph_status=status, entity_count=entity_count, relation_count=relation_count)
        document = Document.objects.filter(pk=document_id).only("id", "owner_id", "collection_id").first()
        if not updated or document is None:
            return
        notify_user(user_id=document.owner_id, event={
            "type": "knowledge.document.graph", "document_id": document_id,
            "collection_id": document.collection_id, "graph_status": status,
            "entity_count": entity_count, "relation_count": relation_count, "error": error})
