"""The chat REST API: conversations (create, search, get with messages, rename, delete),
sending without the socket, feedback and its export as a dataset, and quota refusals."""

from __future__ import annotations

import json

import pytest

from apps.chat import quotas
from apps.chat.models import Message
from apps.datasets.models import DatasetVersion
from apps.datasets.services import dataset_version_path, dataset_version_validate
from apps.personalities.models import Personality
from apps.quotas.tests.factories import override
from apps.rag.services import collection_create

from .factories import conversation, model_version

pytestmark = pytest.mark.django_db
BASE = "/api/v1/chat/"


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def client(owner, api_client_for):
    return api_client_for(owner)


def _reply(chat, prompt: str, answer: str, **fields) -> Message:
    Message.objects.create(owner=chat.owner, conversation=chat, role="user", content=prompt)
    return Message.objects.create(owner=chat.owner, conversation=chat, role="assistant",
                                  content=answer, **fields)


def test_create_get_rename_and_delete_a_conversation(owner, client):
    # given
    version = model_version(owner, write_file=False)
    notes = collection_create(user=owner, name="notes")
    sage = Personality.objects.get(owner=None, archetype="sage")
    # when
    created = client.post(f"{BASE}conversations/", {
        "model_version_id": version.pk, "personality_id": sage.pk, "temperature": 0.3,
        "max_tokens": 100, "collection_ids": [notes.pk], "system_prompt": "Be brief.",
    }, format="json")
    conversation_id = created.json()["id"]
    renamed = client.patch(f"{BASE}conversations/{conversation_id}/", {"title": "Sea stories"},
                           format="json")
    fetched = client.get(f"{BASE}conversations/{conversation_id}/").json()
    deleted = client.delete(f"{BASE}conversations/{conversation_id}/")
    # then
    assert created.status_code == 201 and renamed.status_code == 200
    assert fetched["title"] == "Sea stories" and fetched["model_name"] == "tiny:1.0.0"
    assert fetched["personality"]["name"] == "Sage" and fetched["personality"]["builtin"]
    assert fetched["temperature"] == 0.3
    assert fetched["collection_ids"] == [notes.pk] and fetched["messages"] == []
    assert deleted.status_code == 204
    assert client.get(f"{BASE}conversations/{conversation_id}/").status_code == 404


def test_search_matches_titles_and_message_text(owner, client):
    # given
    by_title = conversation(owner, title="Whales")
    by_text = conversation(owner, title="Misc")
    _reply(by_text, "What about whales?", "They sing.")
    conversation(owner, title="Foxes")
    # when
    found = client.get(f"{BASE}conversations/", {"search": "whale"}).json()
    # then
    assert sorted(c["id"] for c in found["results"]) == sorted([by_title.pk, by_text.pk])


@pytest.mark.parametrize("body, field", [
    ({"personality": "pirate king"}, "personality"),
    ({"temperature": 5}, "temperature"),
    ({"max_tokens": 4096}, "max_tokens"),
    ({"qtype": "Q4_0"}, "qtype"),
])
def test_bad_settings_are_refused_naming_the_field(owner, client, body, field):
    # given a model with a 2048-token context and no exports
    version = model_version(owner, write_file=False)
    # when
    response = client.post(f"{BASE}conversations/", {"model_version_id": version.pk, **body},
                           format="json")
    # then
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_another_users_model_or_collection_is_not_found(owner, client, make_user):
    # given
    stranger = make_user()
    theirs = model_version(stranger, write_file=False)
    their_notes = collection_create(user=stranger, name="theirs")
    mine = model_version(owner, write_file=False)
    # when
    with_model = client.post(f"{BASE}conversations/", {"model_version_id": theirs.pk}, format="json")
    with_notes = client.post(f"{BASE}conversations/", {"model_version_id": mine.pk,
                                                      "collection_ids": [their_notes.pk]}, format="json")
    # then
    assert with_model.status_code == 404 and with_notes.status_code == 404


def test_sending_queues_one_reply_at_a_time(owner, client):
    # given
    chat = conversation(owner)
    url = f"{BASE}conversations/{chat.pk}/messages/"
    # when
    sent = client.post(url, {"content": "Hello there"}, format="json")
    again = client.post(url, {"content": "Anyone?"}, format="json")
    # then
    assert sent.status_code == 202
    assert sent.json()["reply"]["status"] == "queued"
    assert again.status_code == 400 and "still being generated" in again.json()["error"]["message"]
    chat.refresh_from_db()
    assert chat.title == "Hello there"


def test_sending_to_anothers_conversation_or_an_id_past_bigint_is_not_found(owner, client,
                                                                          make_user):
    # given
    theirs = conversation(make_user())
    # when
    to_theirs = client.post(f"{BASE}conversations/{theirs.pk}/messages/", {"content": "Hi"},
                            format="json")
    too_big = client.post(f"{BASE}conversations/{2**64}/messages/", {"content": "Hi"},
                          format="json")
    # then
    assert to_theirs.status_code == 404 and too_big.status_code == 404
    assert to_theirs.json()["error"]["message"] == f"No conversation with id {theirs.pk}."
    assert not Message.objects.filter(conversation=theirs).exists()


def test_exhausted_daily_tokens_answer_429_with_the_reset_time(owner, client):
    # given
    override(user=owner, chat_tokens_per_day=0)
    chat = conversation(owner)
    # when
    response = client.post(f"{BASE}conversations/{chat.pk}/messages/", {"content": "Hi"}, format="json")
    # then
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "quota_exceeded"
    assert "resets at" in response.json()["error"]["message"]
    assert not Message.objects.filter(conversation=chat).exists()


def test_concurrent_generations_are_capped_and_released_tokens_come_back(owner):
    # given one running generation allowed, 100 tokens a day
    override(user=owner, concurrent_generations=1, chat_tokens_per_day=100)
    lease = quotas.quota_acquire(user_id=owner.pk, want_tokens=80)
    # when a second one is asked for, then the first ends having used 30 tokens
    with pytest.raises(quotas.QuotaExceeded) as busy:
        quotas.quota_acquire(user_id=owner.pk, want_tokens=10)
    quotas.quota_release(lease, used_tokens=30)
    quotas.quota_release(lease, used_tokens=30)  # a repeated release gives nothing back twice
    after = quotas.quota_acquire(user_id=owner.pk, want_tokens=500)
    # then the cap held, and only the 70 unused tokens (plus the 20 never reserved) came back
    assert busy.value.status_code == 429 and "running" in busy.value.message
    assert lease.tokens == 80 and after.tokens == 70


def test_feedback_records_ratings_and_corrections(owner, client):
    # given
    reply = _reply(conversation(owner), "Capital of France?", "Lyon.")
    url = f"{BASE}messages/{reply.pk}/feedback/"
    # when
    rated = client.post(url, {"rating": "down"}, format="json")
    corrected = client.post(url, {"edited_content": "Paris."}, format="json")
    empty = client.post(url, {}, format="json")
    wrong = client.post(url, {"rating": "meh"}, format="json")
    # then
    assert rated.json()["feedback"] == "down"
    assert corrected.json()["feedback_text"] == "Paris." and corrected.json()["feedback"] == "down"
    assert empty.status_code == 400 and wrong.status_code == 400
    assert "rating" in wrong.json()["error"]["fields"]


def test_feedback_export_creates_a_valid_prompt_response_dataset(owner, client):
    # given a liked reply, a corrected reply and a disliked one
    chat = conversation(owner)
    _reply(chat, "Say hi", "Hi!", feedback="up")
    _reply(chat, "Capital of France?", "Lyon.", feedback="down", feedback_text="Paris.")
    _reply(chat, "2 + 2?", "5", feedback="down")
    # when
    response = client.post(f"{BASE}feedback/export/", {"name": "My feedback"}, format="json")
    # then
    assert response.status_code == 201 and response.json()["pairs"] == 2
    version = dataset_version_validate(version_id=response.json()["dataset_version_id"])
    assert version.status == DatasetVersion.Status.VALID, version.report
    lines = dataset_version_path(version).read_text().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"prompt": "Say hi", "response": "Hi!"},
        {"prompt": "Capital of France?", "response": "Paris."},
    ]


def test_feedback_export_with_nothing_to_export_is_refused(client):
    response = client.post(f"{BASE}feedback/export/", {}, format="json")
    assert response.status_code == 400
    assert "nothing to export" in response.json()["error"]["message"]
