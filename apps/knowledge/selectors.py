"""Reads of knowledge graphs through the access policy (apps.core.access): a collection's
graph (its best-connected entities, or the neighbourhood of those matching a search) and one
entity with its neighbours and the sentences behind each edge. Entities of collections the
user cannot read are 404s."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from apps.core.access import access_get, access_queryset
from apps.rag.models import Collection
from ml.knowledge.merge import normalize_name

from .models import Entity, Relation

MAX_EDGES = 200  # edges listed with one entity, strongest-connected neighbours first
SEARCH_MATCHES = 10  # entities a graph search centres on


@dataclass(frozen=True)
class Graph:
    nodes: list[Entity]  # each with `degree`
    edges: list[Relation]


def _degree_subquery(field: str) -> Subquery:
    counts = (Relation.objects.filter(**{field: OuterRef("pk")}).order_by().values(field)
              .annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def _entities(*, user) -> QuerySet[Entity]:
    return access_queryset(Entity, user=user).annotate(
        degree=_degree_subquery("subject") + _degree_subquery("object")).defer("embedding")


def collection_graph(*, user, collection_id: int, search: str = "", limit: int = 50) -> Graph:
    """The `limit` entities with the most edges, or (with `search`) the entities whose name or
    a spelling contains it and their neighbours; and the edges among them."""
    collection = access_get(Collection, user=user, pk=collection_id)
    entities = _entities(user=user).filter(collection=collection)
    if search.strip():
        key = normalize_name(search)
        matches = list(entities.filter(Q(normalized_name__contains=key) | Q(name__icontains=search.strip())
                                       | Q(alias_keys__contains=[key]))
                       .order_by("-degree", "name", "id").values_list("id", flat=True)[:SEARCH_MATCHES])
        touching = Relation.objects.filter(collection=collection).filter(
            Q(subject_id__in=matches) | Q(object_id__in=matches))
        neighbours = set(touching.values_list("subject_id", flat=True)) | set(
            touching.values_list("object_id", flat=True))
        nodes = list(entities.filter(pk__in=set(matches) | neighbours).order_by("-degree", "name", "id")[:limit])
        # The matches first, so a limit never cuts what was searched for.
        nodes.sort(key=lambda node: node.pk not in matches)
    else:
        nodes = list(entities.order_by("-degree", "name", "id")[:limit])
    ids = [node.pk for node in nodes]
    edges = list(Relation.objects.filter(collection=collection, subject_id__in=ids, object_id__in=ids)
                 .only("id", "subject_id", "object_id", "predicate").order_by("id")[:MAX_EDGES * 5])
    return Graph(nodes=nodes, edges=edges)


def entity_get(*, user, entity_id: int) -> Entity:
    return access_get(_entities(user=user), user=user, pk=entity_id)


def entity_edges(*, entity: Entity) -> list[Relation]:
    """The entity's edges with their chunk and document (for the sentence and a link to it),
    at most MAX_EDGES."""
    return list(Relation.objects.filter(collection_id=entity.collection_id)
                .filter(Q(subject=entity) | Q(object=entity))
                .select_related("subject", "object", "chunk__document")
                .only("id", "predicate", "sentence", "sentence_start", "sentence_end",
                      "subject__id", "subject__name", "subject__label", "object__id", "object__name",
                      "object__label", "chunk__id", "chunk__index", "chunk__document__id",
                      "chunk__document__name")
                .order_by("chunk__document_id", "chunk__index", "sentence_start", "id")[:MAX_EDGES])
