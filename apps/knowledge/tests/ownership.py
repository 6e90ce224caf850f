"""Ownership-matrix cases for the knowledge graph routes: an entity is reached through its
collection, like the collection's documents."""

from apps.core.ownership import Case


def _collection_with_entity(user):
    from apps.knowledge.tests.factories import entity
    from apps.rag.services import collection_create

    collection = collection_create(user=user, name="owner-secret-collection")
    node = entity(collection, "Owner Secret Person")
    return {"collection_id": collection.pk, "entity_id": node.pk}, "Owner Secret Person"


def _graph_ids(user):
    ids, marker = _collection_with_entity(user)
    return {"collection_id": ids["collection_id"]}, marker


def _entity_ids(user):
    ids, marker = _collection_with_entity(user)
    return {"entity_id": ids["entity_id"]}, marker


OWNED_ROUTES = {
    "api-v1:knowledge-collection-graph": Case(setup=_graph_ids),
    "api-v1:knowledge-entity-detail": Case(setup=_entity_ids),
}
