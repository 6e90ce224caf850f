"""Reads for chat, scoped to the requesting user."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from apps.core.selectors import owned_get, owned_queryset

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
