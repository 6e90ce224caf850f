"""What the inference worker reads before a reply's prompt reaches the engine: the queued
reply, its conversation's collections, the model version's ready exports and the earlier
turns, in one query (every query there delays the first token), and the file it then serves
the model from, once one more query says the conversation's owner may still read it."""

from __future__ import annotations

import pytest
from rest_framework.exceptions import NotFound

from apps.chat import services
from apps.chat.generation import _sou_pinned
from apps.chat.models import Message
from apps.chat.reply_lookup import queued_reply
from apps.personalities.models import Personality
from apps.rag.services import collection_create
from apps.registry import storage
from apps.registry.models import ModelExport

from .factories import conversation, model_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user):
    return make_user()


def _export(version, qtype: str, status: str) -> ModelExport:
    return ModelExport.objects.create(owner=version.owner, model_version=version, qtype=qtype,
                                      status=status)


def test_the_worker_reads_the_reply_its_collections_and_ready_exports_in_one_query(
        owner, django_assert_num_queries):
    # given a conversation with two collections and a personality, on a version with a ready
    # and a failed export
    version = model_version(owner, write_file=False)
    _export(version, "Q4_0", ModelExport.Status.READY)
    _export(version, "Q8_0", ModelExport.Status.FAILED)
    notes, papers = collection_create(user=owner, name="notes"), collection_create(user=owner, name="papers")
    sage = Personality.objects.get(owner=None, archetype="sage")
    chat = conversation(owner, version, collection_ids=[notes.pk, papers.pk], personality_id=sage.pk)
    _, queued = services.message_send(user=owner, conversation_id=chat.pk, content="Hello")
    # when
    with django_assert_num_queries(1):
        context = queued_reply(queued.pk)
    with django_assert_num_queries(1), _sou_pinned(context) as path:  # may the owner still read the model?
        pass
    # then the ready export serves the model, and the failed one is not offered
    assert context.reply.status == "queued" and context.reply.conversation_id == chat.pk
    assert context.conversation.owner.pk == owner.pk
    assert sorted(context.collection_ids) == sorted([notes.pk, papers.pk])
    assert context.ready_qtypes == ["Q4_0"]
    assert path == storage.export_sou(owner.pk, version.pk, "Q4_0")
    assert context.personality_version.pk == sage.current_version_id
    assert context.conversation.personality_version is context.personality_version
    assert "spec" in context.personality_version.get_deferred_fields()


def test_a_conversation_pinned_to_an_export_that_is_not_ready_is_refused(owner):
    # given
    version = model_version(owner, write_file=False)
    _export(version, "Q8_0", ModelExport.Status.FAILED)
    chat = conversation(owner, version)
    chat.qtype = "Q8_0"  # the export failed after the conversation chose it
    chat.save(update_fields=["qtype"])
    _, queued = services.message_send(user=owner, conversation_id=chat.pk, content="Hello")
    context = queued_reply(queued.pk)
    # then
    assert context.collection_ids == [] and context.ready_qtypes == []
    with pytest.raises(NotFound, match="no ready Q8_0 export"):
        _sou_pinned(context)


def test_no_reply_is_found_for_a_user_message(owner):
    chat = conversation(owner)
    message, _ = services.message_send(user=owner, conversation_id=chat.pk, content="Hello")
    assert queued_reply(message.pk) is None


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_the_lookup_builds_the_same_instances_as_the_orm(owner):
    # given a reply with a quota lease (JSON) on a conversation with settings and a personality
    version = model_version(owner, write_file=False)
    chat = conversation(owner, version, personality="jester")
    chat.system_prompt, chat.temperature, chat.seed = "Be brief.", 0.3, 7
    chat.save()
    _, queued = services.message_send(user=owner, conversation_id=chat.pk, content="Hello")
    # when
    context = queued_reply(queued.pk)
    reply = context.reply
    # then every field of the reply, its conversation and its version is what the ORM reads
    expected = Message.objects.select_related(
        "conversation__model_version", "conversation__personality_version").get(pk=queued.pk)
    assert _fields(reply) == _fields(expected)
    assert _fields(reply.conversation) == _fields(expected.conversation)
    assert _fields(reply.conversation.model_version) == _fields(version)
    assert (_fields(reply.conversation.personality_version)
            == _fields(expected.conversation.personality_version))
    assert isinstance(reply.quota_lease, dict) and isinstance(reply.citations, list)
    assert reply.conversation.system_prompt == "Be brief." and reply.conversation.seed == 7
    assert context.conversation is reply.conversation and context.model_version == version


def test_the_history_holds_the_finished_turns_before_the_reply_in_order(owner):
    # given finished, stopped, failed and empty turns, then a new question
    chat = conversation(owner)
    turns = [("user", "first question", "done"), ("assistant", "first answer", "done"),
             ("user", "second question", "done"), ("assistant", "cut short", "stopped"),
             ("user", "third question", "done"), ("assistant", "", "stopped"),
             ("assistant", "broken", "failed")]
    for role, content, status in turns:
        Message.objects.create(owner=owner, conversation=chat, role=role, content=content,
                               status=status)
    _, queued = services.message_send(user=owner, conversation_id=chat.pk, content="fourth")
    Message.objects.create(owner=owner, conversation=chat, role="user", content="later",
                           status="done")
    # when
    history = queued_reply(queued.pk).history
    # then failed and empty turns, and anything after the reply, are left out
    assert history == [
        {"role": "user", "content": "first question"}, {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "second question"}, {"role": "assistant", "content": "cut short"},
        {"role": "user", "content": "third question"}, {"role": "user", "content": "fourth"}]


def test_a_reply_whose_model_version_was_deleted_has_none(owner):
    # given
    version = model_version(owner, write_file=False)
    chat = conversation(owner, version)
    _, queued = services.message_send(user=owner, conversation_id=chat.pk, content="Hello")
    version.delete()
    # when
    context = queued_reply(queued.pk)
    # then the worker refuses it with a clear error instead of serving another file
    assert context.model_version is None and context.conversation.model_version is None
    assert context.personality_version is None
    with pytest.raises(NotFound, match="model version was deleted; choose another model"):
        _sou_pinned(context)
