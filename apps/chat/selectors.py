"""Reads for chat through the access policy (apps.core.access): the user's conversations and
those shared with their teams (read-only: only the owner continues a conversation), and how
a conversation's replies measure against its personality."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet

from apps.core.access import access_annotate, access_get, access_queryset, access_scope
from apps.personalities.scoring import ScoreReport, personality_score

from .models import Conversation, Message


def conversation_list(*, user, search: str = "", scope: str | None = None) -> QuerySet[Conversation]:
    """The conversations the user can read (`scope`: their own, or shared with them), newest
    activity first, each with `access_role`; `search` matches the title or any message's text."""
    queryset = access_scope(access_queryset(Conversation, user=user), user=user, scope=scope)
    queryset = access_annotate(queryset, user=user).select_related(
        "model_version__registered_model", "personality_version__personality", "remote_endpoint")
    search = search.strip()
    if search:
        matching = access_queryset(Message, user=user).filter(content__icontains=search)
        queryset = queryset.filter(
            Q(title__icontains=search) | Q(pk__in=matching.values("conversation_id")))
    return queryset.prefetch_related("collections")


def conversation_get(*, user, conversation_id) -> Conversation:
    """A conversation the user can read, with its messages and `access_role`."""
    queryset = access_annotate(Conversation.objects.all(), user=user).select_related(
        "model_version__registered_model", "personality_version__personality", "remote_endpoint"
    ).prefetch_related("collections", Prefetch("messages", queryset=Message.objects.order_by("id")))
    return access_get(queryset, user=user, pk=conversation_id)


def conversation_exists(*, user, conversation_id) -> bool:
    """Whether the user can read the conversation (and so follow it live; acting in it is
    checked per request)."""
    return access_queryset(Conversation, user=user).filter(pk=int(conversation_id)).exists()


def conversation_personality_trend(*, user, conversation_id, personality_id: int | None = None) -> ScoreReport:
    """Every finished reply of the conversation scored (alignment and every metric), oldest
    first, against the personality version it speaks as, or against the current version of
    `personality_id` (a built-in or the user's own) to compare."""
    conversation = access_get(Conversation, user=user, pk=conversation_id)
    if personality_id is not None:
        return personality_score(user=user, personality_id=personality_id, conversation_id=conversation.pk)
    version = conversation.personality_version
    if version is None:
        raise ValidationError({"personality_id": [
            "this conversation has no personality; choose one in its settings or name one to compare with"]})
    return personality_score(user=user, personality_id=version.personality_id,
                             conversation_id=conversation.pk, version_id=version.pk)
