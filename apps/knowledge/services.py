"""Writes for the knowledge graph: building a document's part of its collection's graph from
its stored chunks (the worker's step after embedding), and removing it when the document is
re-embedded or deleted, with the entities only it mentioned.

A build reads the chunks, extracts entities and relations (ml.knowledge), merges the
document's mentions into entities, then links each to the collection's node of the same
normalized name or spelling, or of a nearly identical name embedding, creating it otherwise;
these lookups are a few statements for the whole document, not a few per entity.

Every writer of a graph locks the collection's row, then the document's (`collection_lock`):
two documents of one collection building at once cannot both create one entity, a prune
cannot delete an entity a build is linking to, and a build never waits in a circle with a
document or collection delete. An entity belongs to its collection's owner, so one member's
account going does not take other members' facts with it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.core.notifications import notify_user
from apps.core.user_paths import error_text
from apps.rag.models import Chunk, Collection, Document
from ml.knowledge.merge import MERGE_SIMILARITY, MergedEntity, merge_mentions, normalize_name

from .models import Entity, Mention, Relation

logger = logging.getLogger(__name__)
ERROR_CHARS = 1000
MAX_NAME_CHARS = 200  # Entity.name's column; a longer "name" is a parse gone wrong


def _storable(name: str) -> bool:
    # Checked after normalizing too: NFKD and case folding can lengthen a name ("ﷺ" is 18
    # characters), and the normalized form has a column of the same size.
    return len(name) <= MAX_NAME_CHARS and 0 < len(normalize_name(name)) <= MAX_NAME_CHARS


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
            for mention in found.entities if _storable(mention.text)]
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


def collection_lock(*, collection_id: int) -> Collection | None:
    """Locks the collection's row (inside the caller's transaction): the first lock every
    writer of its graph takes, before any document's row."""
    return Collection.objects.select_for_update(of=("self",)).filter(pk=collection_id).only(
        "id", "owner_id").first()


@transaction.atomic
def _store(document_id: int, found: _Found) -> None:
    collection_id = Document.objects.filter(pk=document_id).values_list("collection_id", flat=True).first()
    collection = collection_lock(collection_id=collection_id) if collection_id is not None else None
    document = Document.objects.select_for_update().filter(pk=document_id).only(
        "id", "owner_id", "collection_id", "graph_status").first()
    if collection is None or document is None or document.graph_status != Document.GraphStatus.BUILDING:
        return  # deleted, or re-embedded meanwhile (a newer build will run)
    if set(Chunk.objects.filter(document_id=document_id).values_list("id", flat=True)) != set(found.chunk_ids):
        return  # its chunks changed while extracting: the build after the re-embedding counts
    before = _clear(document_id)
    ids = _node_ids(collection, found)
    owner = document.owner_id
    Mention.objects.bulk_create(
        [Mention(owner_id=owner, collection_id=collection.pk, entity_id=ids[entity], chunk_id=chunk_id,
                 start=start, end=end) for entity, chunk_id, start, end in found.mentions],
        batch_size=1000)
    Relation.objects.bulk_create(
        [Relation(owner_id=owner, collection_id=collection.pk, subject_id=ids[subject], predicate=predicate,
                  object_id=ids[obj], chunk_id=chunk_id, sentence=sentence, sentence_start=start,
                  sentence_end=end)
         for subject, predicate, obj, chunk_id, sentence, start, end in found.relations],
        batch_size=1000)
    _refresh_degrees(before | set(ids))
    entity_prune(entity_ids=before - set(ids))
    status = Document.GraphStatus.READY if found.entities else Document.GraphStatus.EMPTY
    _finish(document_id, status, entity_count=len(set(ids)), relation_count=len(found.relations))


def document_graph_remove(*, document_id: int) -> None:
    """Removes the document's mentions and relations, and the entities only it mentioned;
    called before its chunks go (re-embedding) or it does (deletion). The caller holds
    `collection_lock` of its collection."""
    touched = _clear(document_id)
    _refresh_degrees(touched)
    entity_prune(entity_ids=touched)


def _clear(document_id: int) -> set[int]:
    """Deletes the document's mentions and relations; returns the entities they touched."""
    mentions = Mention.objects.filter(chunk__document_id=document_id)
    relations = Relation.objects.filter(chunk__document_id=document_id)
    touched = set(mentions.values_list("entity_id", flat=True).distinct())
    for ends in relations.values_list("subject_id", "object_id"):
        touched.update(ends)
    mentions.delete()
    relations.delete()
    return touched


def _node_ids(collection: Collection, found: _Found) -> list[int]:
    """The collection's node id for each of the document's entities, in order: the node of
    that normalized name, else one with a spelling of it, else one whose name embedding is
    nearly the same, else a new node. Spellings new to a node are added to its aliases."""
    merged = found.entities
    keys = [list(dict.fromkeys(normalize_name(spelling) for spelling in (m.name, *m.aliases))) for m in merged]
    nodes = Entity.objects.filter(collection_id=collection.pk).only(
        "id", "name", "normalized_name", "aliases", "alias_keys")
    by_name = {node.normalized_name: node for node in nodes.filter(
        normalized_name__in=[m.normalized_name for m in merged])}
    chosen: list[Entity | None] = [by_name.get(m.normalized_name) for m in merged]
    if left := [i for i, node in enumerate(chosen) if node is None]:
        by_alias: dict[str, Entity] = {}
        for node in sorted(nodes.filter(alias_keys__overlap=list({key for i in left for key in keys[i]})),
                           key=lambda node: (node.name, node.pk)):
            for key in node.alias_keys:
                by_alias.setdefault(key, node)
        for i in left:
            spelt = [by_alias[key] for key in keys[i] if key in by_alias]
            chosen[i] = min(spelt, key=lambda node: (node.name, node.pk)) if spelt else None
    if left := [i for i, node in enumerate(chosen) if node is None]:
        nearest = _nearest(collection.pk, {i: found.vectors[i] for i in left})
        near_nodes = nodes.in_bulk(set(nearest.values()))
        for i, pk in nearest.items():
            chosen[i] = near_nodes[pk]
    existing = [(node, merged[i], keys[i]) for i, node in enumerate(chosen) if node is not None]
    created = iter(Entity.objects.bulk_create(
        [Entity(owner_id=collection.owner_id, collection_id=collection.pk, name=merged[i].name,
                normalized_name=merged[i].normalized_name, label=merged[i].label, aliases=merged[i].aliases,
                alias_keys=[key for key in keys[i] if key != merged[i].normalized_name],
                embedding=found.vectors[i]) for i, node in enumerate(chosen) if node is None],
        batch_size=500))
    _add_spellings(existing)
    return [node.pk if node is not None else next(created).pk for node in chosen]


def _add_spellings(links: list[tuple[Entity, MergedEntity, list[str]]]) -> None:
    """Adds to each existing node the spellings (and their keys) it did not have."""
    changed: dict[int, Entity] = {}
    for node, entity, keys in links:
        node = changed.get(node.pk, node)
        spellings = [s for s in dict.fromkeys((entity.name, *entity.aliases))
                     if s != node.name and s not in node.aliases]
        new_keys = [key for key in keys if key != node.normalized_name and key not in node.alias_keys]
        if spellings or new_keys:
            node.aliases = [*node.aliases, *spellings]
            node.alias_keys = [*node.alias_keys, *new_keys]
            node.updated_at = timezone.now()
            changed[node.pk] = node
    Entity.objects.bulk_update(list(changed.values()), ["aliases", "alias_keys", "updated_at"], batch_size=500)


# For each name, the collection's nearest node above MERGE_SIMILARITY. `+ 0` keeps the planner
# off the HNSW index all users share: pgvector filters its candidates by collection after the
# search, so a small collection among big ones would find no match; this scans the
# collection's own rows exactly (through its collection_id index).
_NEAREST_SQL = """
    SELECT q.i, n.id FROM unnest(%s::int[], %s::text[]) AS q(i, v)
    CROSS JOIN LATERAL (
        SELECT e.id FROM knowledge_entity e
        WHERE e.collection_id = %s AND 1 - (e.embedding <=> q.v::vector) >= %s
        ORDER BY (e.embedding <=> q.v::vector) + 0, e.id LIMIT 1) n
"""


def _nearest(collection_id: int, vectors: dict[int, list]) -> dict[int, int]:
    """{index: id of the nearest node} for the names (by index) that have one."""
    from apps.rag.retrieval import vector_literal

    with connection.cursor() as cursor:
        cursor.execute(_NEAREST_SQL, [list(vectors), [vector_literal(v) for v in vectors.values()],
                                      collection_id, MERGE_SIMILARITY])
        return dict(cursor.fetchall())


def _degree_of(field: str) -> Coalesce:
    counts = (Relation.objects.filter(**{field: OuterRef("pk")}).order_by().values(field)
              .annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def _refresh_degrees(entity_ids: set[int]) -> None:
    """Counts the edges of these entities again (after edges were added or removed)."""
    if entity_ids:
        Entity.objects.filter(pk__in=entity_ids).update(degree=_degree_of("subject") + _degree_of("object"))


def entity_prune(*, entity_ids: set[int]) -> int:
    """Deletes those of these entities no chunk mentions any more (their document was deleted
    or re-embedded without them); returns how many."""
    if not entity_ids:
        return 0
    mentioned = Mention.objects.filter(entity=OuterRef("pk"))
    deleted, _ = Entity.objects.filter(pk__in=entity_ids).exclude(Exists(mentioned)).delete()
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
