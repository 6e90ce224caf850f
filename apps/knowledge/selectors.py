"""Reads of knowledge graphs through the access policy (apps.core.access): a collection's
graph (its best-connected entities, or the neighbourhood of those matching a search) and one
entity with its neighbours and the sentences behind each edge. Entities of collections the
user cannot read are 404s. Every read is bounded: nodes come from the (collection, degree)
index or a capped neighbourhood, never from counting the whole collection's edges."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from apps.core.access import access_get, access_queryset
from apps.rag.models import Collection
from ml.knowledge.merge import normalize_name

from .models import Entity, Relation

MAX_EDGES = 200  # edges listed with one entity, strongest-connected neighbours first
SEARCH_MATCHES = 10  # entities a graph search centres on


@dataclass(frozen=True)
class Graph:
    nodes: list[Entity]
    edges: list[Relation]


@dataclass(frozen=True)
class EntityDetail:
    entity: Entity
    neighbours: list[Entity]  # the other ends of `edges`, each once
    edges: list[Relation]  # with subject, object and chunk.document loaded


def _entities(*, user) -> QuerySet[Entity]:
    return access_queryset(Entity, user=user).defer("embedding")


def _search(entities: QuerySet[Entity], search: str) -> QuerySet[Entity]:
    """Entities whose name contains `search`, or whose normalized name or a spelling's does.
    A search that normalizes to nothing ("!!!") is matched by name only: the empty key is in
    every name."""
    found = Q(name__icontains=search)
    if key := normalize_name(search):
        found |= Q(normalized_name__contains=key) | Q(alias_keys__contains=[key])
    return entities.filter(found)


def collection_graph(*, user, collection_id: int, search: str = "", limit: int = 50) -> Graph:
    """The `limit` entities with the most edges, or (with `search`) the entities whose name or
    a spelling contains it and their best-connected neighbours; and the edges among them."""
    collection = access_get(Collection, user=user, pk=collection_id)
    entities = _entities(user=user).filter(collection=collection)
    by_degree = ("-degree", "name", "id")
    if search.strip():
        # The matches first, so a limit never cuts what was searched for.
        nodes = list(_search(entities, search.strip()).order_by(*by_degree)[:min(SEARCH_MATCHES, limit)])
        matches = [node.pk for node in nodes]
        touching = Relation.objects.filter(collection=collection).filter(
            Q(subject_id__in=matches) | Q(object_id__in=matches))
        nodes += entities.filter(Q(pk__in=touching.values("subject_id")) | Q(pk__in=touching.values("object_id"))
                                 ).exclude(pk__in=matches).order_by(*by_degree)[:limit - len(nodes)]
    else:
        nodes = list(entities.order_by(*by_degree)[:limit])
    ids = [node.pk for node in nodes]
    edges = list(Relation.objects.filter(collection=collection, subject_id__in=ids, object_id__in=ids)
                 .only("id", "subject_id", "object_id", "predicate").order_by("id")[:MAX_EDGES * 5])
    return Graph(nodes=nodes, edges=edges)


def entity_detail(*, user, entity_id: int) -> EntityDetail:
    """The entity, its edges with their chunk and document (for the sentence and a link to
    it), at most MAX_EDGES, and the entities at their other ends."""
    entity = access_get(_entities(user=user), user=user, pk=entity_id)
    edges = list(Relation.objects.filter(collection_id=entity.collection_id)
                 .filter(Q(subject=entity) | Q(object=entity))
                 .select_related("subject", "object", "chunk__document")
                 .only("id", "predicate", "sentence", "sentence_start", "sentence_end",
                       "subject__id", "subject__name", "subject__label", "object__id", "object__name",
                       "object__label", "chunk__id", "chunk__index", "chunk__document__id",
                       "chunk__document__name")
                 .order_by("chunk__document_id", "chunk__index", "sentence_start", "id")[:MAX_EDGES])
    neighbours: dict[int, Entity] = {}
    for edge in edges:
        for node in (edge.subject, edge.object):
            if node.pk != entity.pk:
                neighbours.setdefault(node.pk, node)
    return EntityDetail(entity=entity, neighbours=list(neighbours.values()), edges=edges)
