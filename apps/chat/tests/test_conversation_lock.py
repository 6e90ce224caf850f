"""The lock a send, regenerate or edit takes first: the user's conversation row, read with
whether a reply is queued in it, by one hand-written statement."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.transaction import TransactionManagementError
from rest_framework.exceptions import NotFound

from apps.chat import services
from apps.chat.conversation_lock import locked_conversation
from apps.chat.models import Conversation

from .factories import conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user):
    return make_user()


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname)
            for field in type(instance)._meta.concrete_fields}


def test_the_locked_conversation_is_the_one_the_orm_reads_and_knows_a_reply_is_queued(owner):
    # given a conversation with settings, then one with a queued reply
    chat = conversation(owner, system_prompt="Be brief.", temperature=0.3, seed=7)
    with transaction.atomic():
        idle = locked_conversation(user=owner, conversation_id=chat.pk)
    services.message_send(user=owner, conversation_id=chat.pk, content="Hello")
    # when
    with transaction.atomic():
        busy = locked_conversation(user=owner, conversation_id=str(chat.pk))
    # then
    chat.refresh_from_db()
    assert _fields(busy.conversation) == _fields(chat)
    assert idle.replying is False and busy.replying is True
    assert busy.conversation.system_prompt == "Be brief." and busy.conversation.seed == 7


@pytest.mark.parametrize("conversation_id", ["theirs", "12abc", None, 2**63, -1])
def test_anothers_or_an_impossible_conversation_is_not_found(owner, make_user, conversation_id):
    theirs = conversation(make_user())
    wanted = theirs.pk if conversation_id == "theirs" else conversation_id
    with transaction.atomic(), pytest.raises(NotFound) as raised:
        locked_conversation(user=owner, conversation_id=wanted)
    assert str(raised.value.detail) == f"No conversation with id {wanted}."
    assert Conversation.objects.filter(pk=theirs.pk).exists()


@pytest.mark.django_db(transaction=True)  # outside the test's own transaction
def test_locking_outside_a_transaction_is_refused(owner):
    chat = conversation(owner)
    with pytest.raises(TransactionManagementError):
        locked_conversation(user=owner, conversation_id=chat.pk)
