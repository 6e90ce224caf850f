"""What the inference worker reads before a reply's prompt reaches the engine: the queued
reply, its conversation's collections and the model version's ready exports, in one query
(every query there delays the first token), and the file it then serves the model from."""

from __future__ import annotations

import pytest
from rest_framework.exceptions import NotFound

from apps.chat import services
from apps.chat.generation import _queued_reply, _sou_path
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
    # given a conversation with two collections, on a version with a ready and a failed export
    version = model_version(owner, write_file=False)
    _export(version, "Q4_0", ModelExport.Status.READY)
    _export(version, "Q8_0", ModelExport.Status.FAILED)
    notes, papers = collection_create(user=owner, name="notes"), collection_create(user=owner, name="papers")
    chat = conversation(owner, version, collection_ids=[notes.pk, papers.pk])
    _, queued = services.message_send(user=owner, conversation_id=chat.pk, content="Hello")
    # when
    with django_assert_num_queries(1):
        reply = _queued_reply(queued.pk)
        path = _sou_path(reply)
    # then the ready export serves the model, and the failed one is not offered
    assert reply.status == "queued" and reply.conversation_id == chat.pk
    assert sorted(reply.collection_ids) == sorted([notes.pk, papers.pk])
    assert reply.ready_qtypes == ["Q4_0"]
    assert path == storage.export_sou(owner.pk, version.pk, "Q4_0")


def test_a_conversation_pinned_to_an_export_that_is_not_ready_is_refused(owner):
    # given
    version = model_version(owner, write_file=False)
    _export(version, "Q8_0", ModelExport.Status.FAILED)
    chat = conversation(owner, version)
    chat.qtype = "Q8_0"  # the export failed after the conversation chose it
    chat.save(update_fields=["qtype"])
    _, queued = services.message_send(user=owner, conversation_id=chat.pk, content="Hello")
    reply = _queued_reply(queued.pk)
    # then
    assert reply.collection_ids == [] and reply.ready_qtypes == []
    with pytest.raises(NotFound, match="no ready Q8_0 export"):
        _sou_path(reply)


def test_no_reply_is_found_for_a_user_message(owner):
    chat = conversation(owner)
    message, _ = services.message_send(user=owner, conversation_id=chat.pk, content="Hello")
    assert _queued_reply(message.pk) is None
