"""Chat feedback exported as preference pairs (prompt, chosen, rejected) for DPO: a
thumbs-down reply against the regenerated reply that replaced it and got a thumbs up, or
against the user's correction, with the conversation as the prompt."""

from __future__ import annotations

import json

import pytest

from apps.chat import services
from apps.chat.models import Message
from apps.datasets.services import dataset_version_path

from .factories import conversation

pytestmark = pytest.mark.django_db
EXPORT = "/api/v1/chat/feedback/export/"


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def client(owner, api_client_for):
    return api_client_for(owner)


def _answered(reply: Message, text: str) -> Message:
    """The reply as the worker stores it when it finishes."""
    Message.objects.filter(pk=reply.pk).update(content=text, status=Message.Status.DONE)
    reply.refresh_from_db()
    return reply


def _rate(client, reply: Message, **feedback) -> None:
    assert client.post(f"/api/v1/chat/messages/{reply.pk}/feedback/", feedback,
                       format="json").status_code == 200


def _exported(client) -> list[dict]:
    response = client.post(EXPORT, {"kind": "preferences"}, format="json")
    assert response.status_code == 201, response.json()
    version_id = response.json()["dataset_version_id"]
    from apps.datasets.models import DatasetVersion

    path = dataset_version_path(DatasetVersion.objects.get(pk=version_id))
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_disliked_reply_pairs_with_the_liked_regeneration_that_replaced_it(owner, client):
    # given a conversation with a system prompt and an earlier turn
    chat = conversation(owner, system_prompt="Be brief.")
    _, first = services.message_send(user=owner, conversation_id=chat.pk, content="Hi")
    _answered(first, "Hello!")
    _, bad = services.message_send(user=owner, conversation_id=chat.pk, content="Capital of France?")
    _rate(client, _answered(bad, "Lyon."), rating="down")
    # when the user regenerates twice (disliking the second try too) and likes the third
    _, second = services.message_regenerate(user=owner, conversation_id=chat.pk)
    _rate(client, _answered(second, "Marseille."), rating="down")
    _, good = services.message_regenerate(user=owner, conversation_id=chat.pk)
    _rate(client, _answered(good, "Paris."), rating="up")
    records = _exported(client)
    # then both disliked answers pair with the liked one, the conversation up to the question as prompt
    prompt = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
              {"role": "assistant", "content": "Hello!"},
              {"role": "user", "content": "Capital of France?"}]
    assert records == [{"prompt": prompt, "chosen": "Paris.", "rejected": "Lyon."},
                       {"prompt": prompt, "chosen": "Paris.", "rejected": "Marseille."}]
    # and the conversation still reads as before: only the liked reply is shown
    shown = client.get(f"/api/v1/chat/conversations/{chat.pk}/").json()["messages"]
    assert [m["content"] for m in shown] == ["Hi", "Hello!", "Capital of France?", "Paris."]
    assert all("rejected_texts" not in m for m in shown)


def test_an_edited_questions_answer_is_not_paired_with_the_old_questions_disliked_one(owner, client):
    # given a disliked answer
    chat = conversation(owner)
    question, bad = services.message_send(user=owner, conversation_id=chat.pk, content="2+2")
    _rate(client, _answered(bad, "5"), rating="down")
    # when the user edits the question and likes the new answer
    _, _, good = services.message_edit(user=owner, conversation_id=chat.pk, message_id=question.pk,
                                       content="What is 2 + 2?")
    _rate(client, _answered(good, "4"), rating="up")
    # then the old question's disliked answer is not paired with the new question's answer:
    # they answer different questions
    response = client.post(EXPORT, {"kind": "preferences"}, format="json")
    assert response.status_code == 400
    assert "nothing to export" in response.json()["error"]["message"]


def test_a_correction_is_chosen_over_the_reply_it_corrects(owner, client):
    # given
    chat = conversation(owner)
    _, reply = services.message_send(user=owner, conversation_id=chat.pk, content="Capital of Spain?")
    _rate(client, _answered(reply, "Barcelona."), rating="down", edited_content="Madrid.")
    # when
    records = _exported(client)
    # then
    assert records == [{"prompt": [{"role": "user", "content": "Capital of Spain?"}],
                        "chosen": "Madrid.", "rejected": "Barcelona."}]


def test_feedback_without_a_better_answer_has_no_preferences_to_export(owner, client):
    # given a liked reply, and a disliked one regenerated into one that was not rated
    chat = conversation(owner)
    _, liked = services.message_send(user=owner, conversation_id=chat.pk, content="Hi")
    _rate(client, _answered(liked, "Hello!"), rating="up")
    _, bad = services.message_send(user=owner, conversation_id=chat.pk, content="2+2")
    _rate(client, _answered(bad, "5"), rating="down")
    _, unrated = services.message_regenerate(user=owner, conversation_id=chat.pk)
    _answered(unrated, "4")
    # when
    response = client.post(EXPORT, {"kind": "preferences"}, format="json")
    # then
    assert response.status_code == 400
    assert "nothing to export" in response.json()["error"]["message"]


def _corrected_replies(owner, count: int) -> None:
    chat = conversation(owner)
    for turn in range(count):
        Message.objects.create(owner=owner, conversation=chat, role="user", content=f"Q{turn}?")
        Message.objects.create(owner=owner, conversation=chat, role="assistant",
                               content=f"wrong {turn}", feedback_text=f"right {turn}")


def test_the_export_reads_the_conversations_once_however_many_replies_were_rated(make_user):
    # given one user with one corrected reply and another with six
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.chat.preferences import feedback_preferences

    few, many = make_user(), make_user()
    _corrected_replies(few, 1)
    _corrected_replies(many, 6)
    # when each exports
    counts, exported = [], []
    for user in (few, many):
        with CaptureQueriesContext(connection) as queries:
            exported.append(feedback_preferences(user=user))
        counts.append(len(queries))
    # then the six cost no more queries than the one, and each prompt ends at its question
    assert [len(records) for records in exported] == [1, 6]
    assert counts[1] == counts[0]
    assert [r["prompt"][-1]["content"] for r in exported[1]] == [f"Q{t}?" for t in range(6)]
    assert len(exported[1][5]["prompt"]) == 11
