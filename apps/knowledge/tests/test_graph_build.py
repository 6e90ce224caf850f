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


def test_a_name_longer_than_its_column_once_normalized_is_skipped_not_failing_the_graph(
        make_user, make_collection, make_graph_document, monkeypatch):
    # given a name of 20 characters whose normalized form is 360 ("ﷺ" expands to 18)
    from ml.knowledge.extract import EntityMention, Extraction, RelationFact

    long_name = "ﷺ" * 20
    text = f"{long_name} met Noah Keller in Lyon."
    mentions = [EntityMention(long_name, "PERSON", 0, 20, 0),
                EntityMention("Noah Keller", "PERSON", 25, 36, 0), EntityMention("Lyon", "GPE", 40, 44, 0)]
    facts = [RelationFact(mentions[0], "met", mentions[1], 0), RelationFact(mentions[1], "in", mentions[2], 0)]
    monkeypatch.setattr("ml.knowledge.extract.extract", lambda texts: [
        Extraction(entities=mentions, relations=facts, sentences=[(0, len(text))])])
    collection = make_collection(make_user())
    # when
    document = make_graph_document(collection, "a.txt", [text])
    # then the graph is built from the other names
    assert document.graph_status == Document.GraphStatus.READY
    assert set(Entity.objects.filter(collection=collection).values_list("name", flat=True)) == {"Noah Keller", "Lyon"}
    assert Relation.objects.filter(collection=collection).count() == 1


def test_a_search_of_only_punctuation_finds_nothing_rather_than_everything(
        make_user, make_collection, make_graph_document, api_client_for):
    # given
    user = make_user()
    collection = make_collection(user)
    make_graph_document(collection, "a.txt", ["Noah Keller works at Bluepeak Systems. Mia Rossi lives in Porto."])
    # when
    graph = api_client_for(user).get(f"/api/v1/collections/{collection.pk}/graph/", {"q": "!!!"}).json()
    # then
    assert graph == {"nodes": [], "edges": []}


def test_a_members_account_going_keeps_every_fact_of_the_collections_graph(
        make_user, make_collection, make_ready_document, make_graph_document, api_client_for):
    # given a collection whose owner and another member's documents both name Lyon, the
    # member's graph built first
    owner, member = make_user(), make_user()
    collection = make_collection(owner)
    theirs = make_ready_document(collection, "member.txt", ["Mia Rossi lives in Lyon."])
    Document.objects.filter(pk=theirs.pk).update(owner=member)
    theirs.chunks.update(owner=member)
    document_graph_build(document_id=theirs.pk)
    make_graph_document(collection, "owner.txt", ["Noah Keller lives in Lyon."])
    # when the member's account is deleted
    member.delete()
    # then both facts about Lyon are still in the graph, and its node is the owner's
    graph = api_client_for(owner).get(f"/api/v1/collections/{collection.pk}/graph/").json()
    assert {node["name"] for node in graph["nodes"]} == {"Mia Rossi", "Noah Keller", "Lyon"}
    assert [edge["predicate"] for edge in graph["edges"]] == ["lives in", "lives in"]
    assert Entity.objects.get(collection=collection, name="Lyon").owner_id == owner.pk


def test_deleting_a_document_takes_its_edges_from_the_remaining_entities_degree(
        make_user, make_collection, make_graph_document, api_client_for):
    # given two documents naming Lyon
    user = make_user()
    collection = make_collection(user)
    make_graph_document(collection, "a.txt", ["Noah Keller lives in Lyon."])
    second = make_graph_document(collection, "b.txt", ["Mia Rossi lives in Lyon."])
    client = api_client_for(user)
    # when one is deleted
    client.delete(f"/api/v1/rag/documents/{second.pk}/")
    # then
    nodes = {node["name"]: node["degree"] for node in client.get(f"/api/v1/collections/{collection.pk}/graph/").json()["nodes"]}
    assert nodes == {"Noah Keller": 1, "Lyon": 1}


@pytest.mark.django_db(transaction=True)
def test_a_document_deleted_while_its_graph_is_stored_goes_with_no_entity_left(
        make_user, make_collection, make_ready_document, monkeypatch):
    import threading

    from django.db import connection

    from apps.knowledge import services
    from apps.rag.services import document_delete

    # given a build that holds its collection's lock until a delete of its document waits
    user = make_user()
    collection = make_collection(user)
    document = make_ready_document(collection, "a.txt", ["Noah Keller lives in Lyon."])
    locked, errors = threading.Event(), []
    lock = services.collection_lock

    def lock_then_let_the_delete_queue(*, collection_id):
        found = lock(collection_id=collection_id)
        if locked.is_set():
            return found  # the delete's own lock
        locked.set()
        with connection.cursor() as cursor:
            for _ in range(600):  # until the delete waits on a lock (or it never will)
                cursor.execute("SELECT pg_stat_clear_snapshot()")  # else one snapshot per transaction
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                               " AND datname = current_database()")
                if cursor.fetchone()[0]:
                    break
                threading.Event().wait(0.05)
        return found

    monkeypatch.setattr(services, "collection_lock", lock_then_let_the_delete_queue)

    def run(work) -> None:
        try:
            work()
        except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
            errors.append(exc)
        finally:
            connection.close()

    # when the document is deleted while its graph is being stored
    build = threading.Thread(target=run, args=(lambda: services.document_graph_build(document_id=document.pk),))
    build.start()
    locked.wait()
    delete = threading.Thread(target=run, args=(lambda: document_delete(user=user, document_id=document.pk),))
    delete.start()
    build.join()
    delete.join()
    # then both finish (no deadlock, no foreign key error), and nothing of its graph is left
    assert errors == []
    assert not Document.objects.filter(pk=document.pk).exists()
    assert not Entity.objects.filter(collection=collection).exists()


def test_documents_embedded_before_graphs_existed_get_theirs_from_the_backfill_command(
        make_user, make_collection, make_ready_document, make_graph_document, monkeypatch,
        django_capture_on_commit_callbacks):
    # given an embedded document whose graph was never built, beside one already built
    from django.core.management import call_command

    from apps.knowledge.tasks import knowledge_document_extract_task

    user = make_user()
    collection = make_collection(user)
    old = make_ready_document(collection, "old.txt", ["Noah Keller works at Bluepeak Systems."])
    make_graph_document(collection, "built.txt", ["Bluepeak Systems is headquartered in Lyon."])
    built_at = Document.objects.get(name="built.txt").graph_status
    assert old.graph_status == Document.GraphStatus.PENDING
    # the queued build runs here, in this process, instead of on a worker
    monkeypatch.setattr(knowledge_document_extract_task, "delay", knowledge_document_extract_task)
    # when the backfill runs
    with django_capture_on_commit_callbacks(execute=True):
        call_command("knowledge_build_missing")
    # then only the pending document was built, and its facts joined the collection's graph
    old.refresh_from_db()
    assert old.graph_status == Document.GraphStatus.READY and old.relation_count == 1
    assert Document.objects.get(name="built.txt").graph_status == built_at
    assert Relation.objects.filter(collection=collection).count() == 2
