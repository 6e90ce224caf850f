"""Graph retrieval: a two-hop question finds the second fact's chunk that hybrid search
misses, citing the sentence used; another user's graph is never walked; a conversation's
retrieval mode is a setting of its own."""

import pytest

from apps.chat.prompting import sources_block
from apps.rag.retrieval import rag_retrieve

pytestmark = pytest.mark.django_db
QUESTION = "In which city is the company that Noah Keller works for headquartered?"
DOCUMENTS = {
    "noah.txt": "Noah Keller works at Bluepeak Systems as an engineer.",
    "noah-weekends.txt": "Noah Keller enjoys rowing at weekends with friends from Bergen.",
    "bluepeak.txt": "Bluepeak Systems is headquartered in Lyon. The company makes sensors.",
    "ironforge.txt": "Ironforge Labs is headquartered in Porto. The company makes batteries.",
    "cedarline.txt": "Cedarline Foods is headquartered in Graz. The company makes pasta.",
}


@pytest.fixture
def firms(make_user, make_collection, make_graph_document):
    user = make_user()
    collection = make_collection(user)
    for name, text in DOCUMENTS.items():
        make_graph_document(collection, name, [text])
    return user, collection


def test_a_two_hop_question_finds_the_chunk_hybrid_misses_and_cites_its_sentence(firms):
    # given
    user, collection = firms
    # when
    hybrid = rag_retrieve(user=user, query=QUESTION, collection_ids=[collection.pk], k=2, mode="hybrid")
    fused = rag_retrieve(user=user, query=QUESTION, collection_ids=[collection.pk], k=2, mode="hybrid+graph")
    # then
    assert "bluepeak.txt" not in {hit.document_name for hit in hybrid}
    assert {hit.document_name for hit in fused} == {"noah.txt", "bluepeak.txt"}
    _, citations = sources_block(fused)
    cited = {c["document_name"]: c["sentences"] for c in citations}
    assert [s["text"] for s in cited["bluepeak.txt"]] == ["Bluepeak Systems is headquartered in Lyon."]
    assert cited["bluepeak.txt"][0]["start"] == 0


def test_a_single_hop_question_keeps_hybrids_answer_first(firms):
    # given
    user, collection = firms
    # when
    fused = rag_retrieve(user=user, query="Where is Ironforge Labs headquartered?",
                         collection_ids=[collection.pk], k=1, mode="hybrid+graph")
    # then
    assert [hit.document_name for hit in fused] == ["ironforge.txt"]


def test_another_users_graph_is_never_walked(firms, make_user, make_collection, make_graph_document):
    # given another user with a person of the same name in their own collection
    owner, owners_collection = firms
    other = make_user()
    theirs = make_collection(other)
    make_graph_document(theirs, "theirs.txt", ["Noah Keller works at Quillon Foods."])
    # when they search all their collections by the graph
    hits = rag_retrieve(user=other, query=QUESTION, collection_ids=None, k=5, mode="graph")
    # then only their own chunk is found
    assert len(hits) == 1
    assert hits[0].sentences[0].text == "Noah Keller works at Quillon Foods."


def test_a_conversation_keeps_its_retrieval_mode(make_user, api_client_for):
    from apps.chat.tests.factories import model_version

    # given
    user = make_user()
    client = api_client_for(user)
    version = model_version(user, write_file=False)
    # when
    created = client.post("/api/v1/chat/conversations/", {"model_version_id": version.pk,
                                                     "retrieval_mode": "hybrid+graph"}, format="json")
    changed = client.patch(f"/api/v1/chat/conversations/{created.json()['id']}/", {"retrieval_mode": "graph"},
                           format="json")
    refused = client.patch(f"/api/v1/chat/conversations/{created.json()['id']}/", {"retrieval_mode": "psychic"},
                           format="json")
    # then
    assert created.status_code == 201 and created.json()["retrieval_mode"] == "hybrid+graph"
    assert changed.json()["retrieval_mode"] == "graph"
    assert refused.status_code == 400 and "retrieval_mode" in refused.content.decode()


def test_a_hub_with_hundreds_of_edges_keeps_the_edge_that_answers(make_user, make_collection, make_ready_document):
    from apps.knowledge.tests.factories import entity, relation
    from ml.personality.embeddings import embed

    # given a company 450 people work at, and the one document saying where it is, written last
    user = make_user()
    collection = make_collection(user)
    answer = "Acme Corp is headquartered in Lyon."
    staff = [f"Person {i} works at Acme Corp." for i in range(450)]
    far = [0.0] * 383 + [1.0]  # a chunk unlike the question
    document = make_ready_document(collection, "acme.txt", [*staff, answer],
                                   vectors=[far] * len(staff) + [list(embed([answer])[0])])
    chunks = list(document.chunks.order_by("index"))
    acme, lyon = entity(collection, "Acme Corp", "ORG"), entity(collection, "Lyon", "GPE")
    for i, chunk in enumerate(chunks[:-1]):
        relation(entity(collection, f"Person {i}"), "works at", acme, chunk, staff[i])
    relation(acme, "is headquartered in", lyon, chunks[-1], answer)
    # when
    hits = rag_retrieve(user=user, query="Where is Acme Corp headquartered?", collection_ids=[collection.pk],
                        k=1, mode="graph")
    # then
    assert [hit.text for hit in hits] == [answer]
    assert [s.text for s in hits[0].sentences] == [answer]


def test_a_misspelt_name_links_to_a_small_collections_entity_beside_a_big_one(
        make_user, make_collection, make_ready_document):
    import numpy as np
    from django.db import connection

    from apps.knowledge.models import Entity
    from apps.knowledge.tests.factories import entity, relation
    from ml.personality.embeddings import embed

    # given another user's collection of 300 entities whose names embed even nearer the
    # question's misspelt name than this user's one entity
    spelled = embed(["Noah Kellr"])[0]
    theirs = make_collection(make_user())
    Entity.objects.bulk_create(Entity(owner_id=theirs.owner_id, collection=theirs, name=f"Other {i}",
                                      normalized_name=f"other {i}", label="PERSON", embedding=spelled)
                               for i in range(300))
    user = make_user()
    collection = make_collection(user)
    fact = "Noah Keller works at Bluepeak Systems."
    chunk = make_ready_document(collection, "noah.txt", [fact]).chunks.get()
    near = spelled + 0.01 * np.random.default_rng(0).standard_normal(len(spelled))
    noah = entity(collection, "Noah Keller")
    Entity.objects.filter(pk=noah.pk).update(embedding=list(near / np.linalg.norm(near)))
    relation(noah, "works at", entity(collection, "Bluepeak Systems", "ORG"), chunk, fact)
    with connection.cursor() as cursor:
        # The plan a big table gets: the shared HNSW index, searched for a single candidate.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL hnsw.ef_search = 1")
    # when the question misspells the name
    hits = rag_retrieve(user=user, query="Where does Noah Kellr work?", collection_ids=[collection.pk],
                        k=1, mode="graph")
    # then it is linked to the user's entity all the same
    assert [hit.text for hit in hits] == [fact]


def test_a_graph_question_naming_no_entity_is_answered_from_hybrid_search(firms):
    # given
    user, collection = firms
    # when the question names nothing the graph knows
    hits = rag_retrieve(user=user, query="which firm makes sensors?", collection_ids=[collection.pk], k=1,
                        mode="graph")
    # then the sources are hybrid search's, not none
    assert [hit.document_name for hit in hits] == ["bluepeak.txt"]
    assert hits[0].sentences == ()
