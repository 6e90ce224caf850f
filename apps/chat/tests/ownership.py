"""Ownership-matrix cases for the chat routes."""

from apps.core.ownership import Case


def _conversation(user):
    from .factories import conversation

    created = conversation(user, title="owner-secret-conversation")
    return {"conversation_id": created.pk}, "owner-secret-conversation"


def _scored_conversation(user):
    from apps.chat.models import Message
    from apps.personalities.tests.factories import config_personality

    from .factories import conversation

    created = conversation(user, title="owner-secret-conversation",
                           personality_id=config_personality(user).pk)
    Message.objects.create(owner=user, conversation=created, role="assistant",
                           content="owner-secret-reply")
    return {"conversation_id": created.pk}, "owner-secret-reply"


def _reply(user):
    from apps.chat.models import Message

    from .factories import conversation

    created = conversation(user, title="owner-secret-conversation")
    reply = Message.objects.create(owner=user, conversation=created, role="assistant",
                                   content="owner-secret-reply")
    return {"message_id": reply.pk}, "owner-secret-reply"


# Conversations are shared read-only: a member of any role reads them; every write is the
# owner's alone (apps.core.access.READ_ONLY_ROOTS).
OWNED_ROUTES = {
    "api-v1:chat-conversations": Case(setup=_conversation),
    "api-v1:chat-conversation-detail": Case(
        setup=_conversation, methods={"get": None, "patch": {"title": "mine now"}, "delete": None}
    ),
    "api-v1:chat-conversation-personality-trend": Case(setup=_scored_conversation),
    "api-v1:chat-conversation-messages": Case(setup=_conversation, methods={"post": {"content": "hi"}}),
    "api-v1:chat-message-feedback": Case(setup=_reply, methods={"post": {"rating": "up"}}),
}

PUBLIC_ROUTES = {
    "api-v1:chat-feedback-export": "takes no id; exports only the requesting user's own feedback",
    "api-v1:chat-quota": "describes the requesting user only",
}
