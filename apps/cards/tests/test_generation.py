"""Cards generated for the user: one per fact of a document's knowledge graph, one per
answered question of a conversation; generating again adds no duplicates; a document
without facts, or another user's document, makes none."""

from __future__ import annotations

import pytest

from apps.cards.models import Card
from apps.knowledge.models import Entity, Relation
from apps.rag.models import Chunk, Document
from apps.rag.services import collection_create

from .factories import answered_conversation, deck

pytestmark = pytest.mark.django_db
SENTENCE = "Marie Curie discovered polonium in 1898."


def _document_with_facts(user, facts: list[tuple[str, str, str]]) -> Document:
    """A ready document of one chunk whose graph holds `facts` (subject, predicate, object)."""
    collection = collection_create(user=user, name="physics")
    document = Document.objects.create(owner=user, collection=collection, name="curie.txt", format="txt",
                                       size_bytes=len(SENTENCE), sha256="0" * 64, text=SENTENCE,
                                       status=Document.Status.READY, chunk_count=1)
    chunk = Chunk.objects.create(owner=user, collection=collection, document=document, index=0, text=SENTENCE,
                                 embedding=[0.0] * 383 + [1.0])

    def entity(name: str) -> Entity:
        found, _ = Entity.objects.get_or_create(
            collection=collection, normalized_name=name.lower(),
            defaults={"owner": user, "name": name, "label": "MISC", "embedding": [1.0] + [0.0] * 383})
        return found

    for subject, predicate, obj in facts:
        Relation.objects.create(owner=user, collection=collection, subject=entity(subject), object=entity(obj),
                                predicate=predicate, chunk=chunk, sentence=SENTENCE, sentence_start=0,
                                sentence_end=len(SENTENCE))
    return document


def _generate(client, deck_id: int, **body):
    return client.post(f"/api/v1/decks/{deck_id}/generate/", body, format="json")


def test_a_documents_graph_gives_one_card_per_fact_once(make_user, api_client_for):
    # given a document whose graph knows two facts
    user = make_user()
    client = api_client_for(user)
    document = _document_with_facts(user, [("Marie Curie", "discovered", "polonium"),
                                           ("Marie Curie", "was born in", "Warsaw")])
    made = deck(user)
    # when cards are generated twice
    first = _generate(client, made.pk, document_id=document.pk)
    second = _generate(client, made.pk, document_id=document.pk)
    # then
    assert first.json() == {"created": 2, "skipped": 0}
    assert second.json() == {"created": 0, "skipped": 2}
    cards = Card.objects.filter(deck=made).order_by("id")
    assert [(c.front, c.back) for c in cards] == [("Marie Curie discovered ___", "polonium"),
                                                  ("Marie Curie was born in ___", "Warsaw")]
    assert cards[0].source["kind"] == "graph"
    assert cards[0].source["sentence"] == SENTENCE
    assert cards[0].source["ids"]["document_id"] == document.pk


def test_a_document_without_facts_makes_no_cards_and_says_so(make_user, api_client_for):
    # given
    user = make_user()
    document = _document_with_facts(user, [])
    made = deck(user)
    # when
    response = _generate(api_client_for(user), made.pk, document_id=document.pk)
    # then
    assert response.status_code == 400
    assert "no facts" in response.json()["error"]["message"]
    assert not Card.objects.filter(deck=made).exists()


def test_another_users_document_is_not_found(make_user, api_client_for):
    # given
    owner, other = make_user(), make_user()
    document = _document_with_facts(owner, [("Marie Curie", "discovered", "polonium")])
    # when
    response = _generate(api_client_for(other), deck(other).pk, document_id=document.pk)
    # then
    assert response.status_code == 404
    assert not Card.objects.filter(owner=other).exists()


def test_a_conversation_gives_one_card_per_answered_question_once(make_user, api_client_for):
    # given a conversation with two answered questions and one still unanswered
    user = make_user()
    client = api_client_for(user)
    conversation = answered_conversation(user, [("What is the capital of Peru?", "  Lima.  "),
                                                ("Who wrote Hamlet?", "Shakespeare.")])
    conversation.messages.create(owner=user, role="user", content="And Macbeth?")
    made = deck(user)
    # when
    first = _generate(client, made.pk, conversation_id=conversation.pk)
    second = _generate(client, made.pk, conversation_id=conversation.pk)
    # then
    assert first.json() == {"created": 2, "skipped": 0}
    assert second.json() == {"created": 0, "skipped": 2}
    assert [(c.front, c.back) for c in Card.objects.filter(deck=made).order_by("id")] == [
        ("What is the capital of Peru?", "Lima."), ("Who wrote Hamlet?", "Shakespeare.")]


def test_generation_needs_exactly_one_source(make_user, api_client_for):
    # given
    user = make_user()
    # when
    response = _generate(api_client_for(user), deck(user).pk)
    # then
    assert response.status_code == 400
    assert "document_id or conversation_id" in response.json()["error"]["message"]


def test_a_document_with_more_facts_than_the_cap_is_refused_naming_it(make_user, api_client_for, monkeypatch):
    # given a cap below the document's facts
    monkeypatch.setattr("apps.cards.generation.MAX_GENERATED_CARDS", 1)
    user = make_user()
    document = _document_with_facts(user, [("Marie Curie", "discovered", "polonium"),
                                           ("Marie Curie", "was born in", "Warsaw")])
    made = deck(user)
    # when
    response = _generate(api_client_for(user), made.pk, document_id=document.pk)
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["document_id"] == [
        "curie.txt has 2 facts in its graph; at most 1 cards are generated at once."]
    assert not Card.objects.filter(deck=made).exists()


def test_a_conversation_with_more_answers_than_the_cap_is_refused(make_user, api_client_for, monkeypatch):
    # given
    monkeypatch.setattr("apps.cards.generation.MAX_GENERATED_CARDS", 1)
    user = make_user()
    conversation = answered_conversation(user, [("Capital of Peru?", "Lima."), ("Who wrote Hamlet?", "Shakespeare.")])
    made = deck(user)
    # when
    response = _generate(api_client_for(user), made.pk, conversation_id=conversation.pk)
    # then
    assert response.status_code == 400
    assert "2 answers; at most 1" in response.json()["error"]["message"]
    assert not Card.objects.filter(deck=made).exists()


def test_another_users_conversation_is_not_found_from_ones_own_deck(make_user, api_client_for):
    # given
    owner, other = make_user(), make_user()
    conversation = answered_conversation(owner, [("Capital of Peru?", "Lima.")])
    # when
    response = _generate(api_client_for(other), deck(other).pk, conversation_id=conversation.pk)
    # then
    assert response.status_code == 404
    assert not Card.objects.filter(owner=other).exists()
