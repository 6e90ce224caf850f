"""Access-matrix cases for the chat routes and the OpenAI-compatible /v1 (models by name:
reading a model is all chatting with it needs)."""

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


def _served_model(user):
    from .factories import model_version

    version = model_version(user, "owner-secret-model")
    return {"model": f"owner-secret-model:{version.version}"}, "owner-secret-model"


def _inference_in_process(monkeypatch):
    """Runs the inference worker's task at once, in the request's process (the matrix starts
    no worker): the real generation, with its own access check, on the tiny model."""
    from apps.chat import completions
    from apps.chat.generation import completion_generate

    monkeypatch.setattr(completions.completion_inference_task, "delay",
                        lambda payload: completion_generate(payload=payload))


def _completion(field: str, value):
    return lambda ids: {"model": ids["model"], field: value, "max_tokens": 2}


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
    "openai:models": Case(setup=_served_model),
    "openai:model-detail": Case(setup=_served_model),
    "openai:chat-completions": Case(
        setup=_served_model, ids_in_body="detail", actions={"post": "read"}, prepare=_inference_in_process,
        methods={"post": _completion("messages", [{"role": "user", "content": "Hello"}])}),
    "openai:completions": Case(
        setup=_served_model, ids_in_body="detail", actions={"post": "read"}, prepare=_inference_in_process,
        methods={"post": _completion("prompt", "Once upon a time")}),
}

PUBLIC_ROUTES = {
    "api-v1:chat-feedback-export": "takes no id; exports only the requesting user's own feedback",
    "api-v1:chat-quota": "describes the requesting user only",
    "openai:embeddings": "embeds the request's own text with the one built-in embedding model",
}
