"""Reads for chat, scoped to the requesting user, and how a conversation's replies measure
against its personality."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet

from apps.core.selectors import owned_get, owned_queryset
from apps.personalities.scoring import ScoreReport, personality_score

from .models import Conversation, Message


def conversation_list(*, user, search: str = "") -> QuerySet[Conversation]:
    """The user's conversations, newest activity first; `search` matches the title or any
    message's text."""
    queryset = owned_queryset(Conversation, user=user).select_related(
        "model_version__registered_model", "personality_version__personality")
    search = search.strip()
    if search:
        matching = owned_queryset(Message, user=user).filter(content__icontains=search)
        queryset = queryset.filter(
            Q(title__icontains=search) | Q(pk__in=matching.values("conversation_id")))
    return queryset.prefetch_related("collections")


def conversation_get(*, user, conversation_id) -> Conversation:
    queryset = owned_queryset(Conversation, user=user).select_related(
        "model_version__registered_model", "personality_version__personality"
    ).prefetch_related("collections", Prefetch("messages", queryset=Message.objects.order_by("id")))
    return owned_get(queryset, user=user, pk=conversation_id)


def conversation_exists(*, user, conversation_id) -> bool:
    return owned_queryset(Conversation, user=user).filter(pk=int(conversation_id)).exists()


def conversation_personality_trend(*, user, conversation_id, personality_id: int | None = None) -> ScoreReport:
    """Every finished reply of the conversation scored (alignment and every metric), oldest
    first, against the personality version it speaks as, or against the current version of
    `personality_id` (a built-in or the user's own) to compare."""
    conversation = owned_get(Conversation, user=user, pk=conversation_id)
    if personality_id is not None:
        return personality_score(user=user, personality_id=personality_id, conversation_id=conversation.pk)
    version = conversation.personality_version
    if version is None:
        raise ValidationError({"personality_id": [
            "this conversation has no personality; choose one in its settings or name one to compare with"]})
    return personality_score(user=user, personality_id=version.personality_id,
                             conversation_id=conversation.pk, version_id=version.pk)
