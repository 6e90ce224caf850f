"""Building a collection's graph from its documents: one node per real entity across
documents, each edge with the sentence it came from, an empty graph said so, re-embedding
and deleting a document updating the graph, and the graph API for its owner only."""

import pytest

from apps.knowledge.models import Entity, Relation
from apps.knowledge.services import document_graph_build
from apps.rag.models import Document
from apps.rag.services import document_embed

pytestmark = pytest.mark.django_db


def test_entities_merge_across_documents_and_each_edge_keeps_its_sentence(
        make_user, make_collection, make_graph_document, api_client_for):
    # given two documents naming the same company
    user = make_user()
    collection = make_collection(user)
    people = make_graph_document(collection, "people.txt", ["Rain fell. Noah Keller works at Bluepeak Systems."])
    make_graph_document(collection, "firms.txt", ["Bluepeak Systems is headquartered in Lyon."])
    client = api_client_for(user)
    # when
    graph = client.get(f"/api/v1/collections/{collection.pk}/graph/").json()
    company = Entity.objects.get(collection=collection, normalized_name="bluepeak systems")
    detail = client.get(f"/api/v1/entities/{company.pk}/").json()
    # then one node for the company, joined to the person and the city
    names = {node["name"]: node for node in graph["nodes"]}
    assert set(names) == {"Noah Keller", "Bluepeak Systems", "Lyon"}
    assert names["Bluepeak Systems"]["degree"] == 2
    assert {(e["subject"], e["predicate"], e["object"]) for e in graph["edges"]} == {
        (names["Noah Keller"]["id"], "works at", company.pk),
        (company.pk, "is headquartered in", names["Lyon"]["id"])}
    works = next(edge for edge in detail["edges"] if edge["predicate"] == "works at")
    assert works["sentence"] == "Noah Keller works at Bluepeak Systems."
    assert works["document_name"] == "people.txt" and works["chunk_index"] == 0
    chunk_text = people.chunks.get().text
    assert chunk_text[works["sentence_start"]:works["sentence_end"]] == works["sentence"]
    assert {n["name"] for n in detail["neighbours"]} == {"Noah Keller", "Lyon"}
    document = client.get(f"/api/v1/rag/documents/{people.pk}/").json()
    assert (document["graph_status"], document["entity_count"], document["relation_count"]) == ("ready", 2, 1)


def test_a_search_shows_the_matching_entity_and_its_neighbours(
        make_user, make_collection, make_graph_document, api_client_for):
    # given
    user = make_user()
    collection = make_collection(user)
    make_graph_document(collection, "a.txt", ["Noah Keller works at Bluepeak Systems. Mia Rossi lives in Porto."])
    # when
    graph = api_client_for(user).get(f"/api/v1/collections/{collection.pk}/graph/?q=keller").json()
    # then
    assert {node["name"] for node in graph["nodes"]} == {"Noah Keller", "Bluepeak Systems"}
    assert [edge["predicate"] for edge in graph["edges"]] == ["works at"]


def test_a_document_without_entities_has_an_empty_graph_and_says_so(
        make_user, make_collection, make_graph_document, api_client_for):
    # given
    user = make_user()
    collection = make_collection(user)
    # when
    document = make_graph_document(collection, "quiet.txt", ["it was quiet and nothing happened at all."])
    # then
    answer = api_client_for(user).get(f"/api/v1/rag/documents/{document.pk}/").json()
    assert (answer["graph_status"], answer["entity_count"]) == ("empty", 0)
    assert api_client_for(user).get(f"/api/v1/collections/{collection.pk}/graph/").json() == {
        "nodes": [], "edges": []}


def test_re_embedding_replaces_a_documents_graph_and_deleting_it_removes_its_entities(
        make_user, make_collection, make_graph_document, api_client_for):
    # given a document about one person, and another document naming the same city
    user = make_user()
    collection = make_collection(user)
    document = make_graph_document(collection, "a.txt", ["Noah Keller lives in Lyon."])
    make_graph_document(collection, "b.txt", ["Mia Rossi moved to Lyon."])
    # when its text changes and it is embedded again (as the worker does), then its graph built
    Document.objects.filter(pk=document.pk).update(text="Emma Clarke lives in Porto.",
                                                   status=Document.Status.PENDING)
    document_embed(document_id=document.pk)
    document_graph_build(document_id=document.pk)
    # then the old person is gone, the new one is there
    names = set(Entity.objects.filter(collection=collection).values_list("name", flat=True))
    assert names == {"Emma Clarke", "Porto", "Mia Rossi", "Lyon"}
    assert Relation.objects.filter(collection=collection).count() == 2
    # and when it is deleted, only what the other document mentions stays
    assert api_client_for(user).delete(f"/api/v1/rag/documents/{document.pk}/").status_code == 204
    assert set(Entity.objects.filter(collection=collection).values_list("name", flat=True)) == {"Mia Rossi", "Lyon"}


def test_a_build_delivered_again_changes_nothing(make_user, make_collection, make_graph_document):
    # given
    collection = make_collection(make_user())
    document = make_graph_document(collection, "a.txt", ["Noah Keller lives in Lyon."])
    before = list(Relation.objects.filter(collection=collection).values_list("id", flat=True))
    # when
    document_graph_build(document_id=document.pk)
    # then
    assert list(Relation.objects.filter(collection=collection).values_list("id", flat=True)) == before


def test_another_user_gets_404_for_a_graph_and_its_entities(
        make_user, make_collection, make_graph_document, api_client_for):
    # given
    owner, other = make_user(), make_user()
    collection = make_collection(owner)
    make_graph_document(collection, "a.txt", ["Noah Keller lives in Lyon."])
    entity = Entity.objects.get(collection=collection, name="Noah Keller")
    client = api_client_for(other)
    # when / then
    assert client.get(f"/api/v1/collections/{collection.pk}/graph/").status_code == 404
    assert client.get(f"/api/v1/entities/{entity.pk}/").status_code == 404
