"""Texts a personality is made from or scored on, resolved from what a user may name: a
list they pasted, one of their dataset versions, or one of their conversations. Every source
is capped; what was left out is said in a notice, never silently dropped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError

from apps.core.access import access_get
from apps.core.user_paths import error_text

MAX_TEXTS = 2000  # per request: bounds the tagger and embedding time of one call


def max_texts() -> int:
    # Read on every call so a deployment (or a test) can set PERSONALITY_MAX_TEXTS.
    return int(getattr(settings, "PERSONALITY_MAX_TEXTS", MAX_TEXTS))


@dataclass
class Texts:
    texts: list[str]
    notices: list[str] = field(default_factory=list)
    # Conversation sources: the message each text is, in the same order.
    message_ids: list[int] | None = None


def capped(texts: Sequence[str], *, what: str) -> Texts:
    texts, limit = list(texts), max_texts()
    if len(texts) <= limit:
        return Texts(texts)
    return Texts(texts[:limit], [f"{what}: used the first {limit} of {len(texts)} texts"])


def dataset_version_texts(*, user, dataset_version_id: int, field_name: str) -> Texts:
    """The texts of a valid dataset version the user can read: a JSON/CSV record's text, each
    non-empty line of a .txt file, and what the assistant says in the other records (a pair's
    response, a chat's assistant turns, a preference's chosen reply)."""
    from apps.datasets.models import DatasetVersion
    from apps.datasets.services import dataset_version_files
    from ml.data import Columns, DataFormatError, iter_records

    version, limit = access_get(DatasetVersion, user=user, pk=dataset_version_id), max_texts()
    if version.status != DatasetVersion.Status.VALID:
        raise ValidationError({field_name: [f"dataset version {version.pk} is {version.status}, not valid"]})
    columns = Columns(text=version.text_column, prompt=version.prompt_column,
                      response=version.response_column)
    texts: list[str] = []
    try:
        with dataset_version_files(version) as path:
            for record in iter_records(path, columns):
                if record.kind != "text":
                    texts.extend(reply for reply in record.replies() if reply.strip())
                elif record.file.endswith(".txt"):
                    texts.extend(line.strip() for line in (record.text or "").splitlines() if line.strip())
                else:
                    texts.append(record.text or "")
                if len(texts) > limit:
                    break
    except DataFormatError as exc:
        raise ValidationError({field_name: [error_text(exc)]}) from exc
    if len(texts) > limit:
        return Texts(texts[:limit], [f"{field_name}: used the first {limit} texts of the dataset version"])
    return Texts(texts)


def conversation_texts(*, user, conversation_id: int) -> Texts:
    """The finished assistant replies of a conversation the user can read, oldest first."""
    from apps.chat.models import Conversation, Message

    limit = max_texts()
    conversation = access_get(Conversation, user=user, pk=conversation_id)
    replies = list(
        conversation.messages.filter(role=Message.Role.ASSISTANT)
        .exclude(status__in=[Message.Status.QUEUED, Message.Status.FAILED])
        .exclude(content="").order_by("id").values_list("id", "content")[: limit + 1]
    )
    notices = []
    if len(replies) > limit:
        replies = replies[:limit]
        notices.append(f"conversation_id: scored the first {limit} replies")
    return Texts([content for _, content in replies], notices, [pk for pk, _ in replies])
