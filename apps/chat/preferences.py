"""Preference pairs from chat: the records, and writing records as a new dataset.

A preference record is one jsonl line {"prompt", "chosen", "rejected"}: `prompt` is the
conversation as the model saw it up to and including the user turn (a list of {role,
content} messages, the system prompt first when there is one), `chosen` the better answer
and `rejected` the worse (strings). ml/data reads them for DPO. Chat feedback gives pairs
two ways: a thumbs-down reply against the regenerated reply that replaced it and got a
thumbs up (Message.rejected_texts; a reply to an edited question answers another question,
so it inherits none), and a reply against the user's correction of it (feedback_text). Arena votes give pairs too (apps/arena)."""

from __future__ import annotations

import io
import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from apps.core.access import access_scope

from .models import HISTORY_STATUSES, Conversation, Message


def _turns(conversations) -> dict[int, list[tuple[int, str, str]]]:
    """(id, role, content) of each conversation's turns a model is shown again, oldest first,
    by conversation id, in one query."""
    turns: dict[int, list[tuple[int, str, str]]] = {}
    rows = (Message.objects.filter(conversation__in=conversations, status__in=HISTORY_STATUSES)
            .exclude(content="").order_by("id")
            .values_list("conversation_id", "id", "role", "content"))
    for conversation_id, pk, role, content in rows:
        turns.setdefault(conversation_id, []).append((pk, role, content))
    return turns


def _prompt(conversation: Conversation, turns: list[tuple[int, str, str]],
            before_id: int | None) -> list[dict]:
    system = [{"role": "system", "content": conversation.system_prompt}] if conversation.system_prompt else []
    return system + [{"role": role, "content": content} for pk, role, content in turns
                     if before_id is None or pk < before_id]


def conversation_prompt(conversation: Conversation, before_id: int | None = None) -> list[dict]:
    """The conversation's turns a model is shown again (before message `before_id`, when
    given) as chat messages, after its system prompt: what a reply there answered."""
    return _prompt(conversation, _turns([conversation]).get(conversation.pk, []), before_id)


def _pair(prompt: list[dict], chosen: str, rejected: str) -> dict | None:
    if not chosen.strip() or not rejected.strip() or chosen == rejected:
        return None
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected}


def feedback_preferences(*, user) -> list[dict]:
    """The user's chat feedback (in their own conversations) as preference records, oldest
    conversation first."""
    replies = list(access_scope(Message.objects.all(), user=user, scope="mine").filter(
        Q(feedback=Message.Feedback.UP) & ~Q(rejected_texts=[]) | ~Q(feedback_text=""),
        role=Message.Role.ASSISTANT,
    ).exclude(status=Message.Status.QUEUED).select_related("conversation").order_by(
        "conversation_id", "id"))
    turns = _turns({reply.conversation_id for reply in replies})
    records = []
    for reply in replies:
        prompt = _prompt(reply.conversation, turns.get(reply.conversation_id, []), reply.pk)
        if not prompt or prompt[-1]["role"] != "user":
            continue
        candidates = []
        if reply.feedback == Message.Feedback.UP:
            candidates += [(reply.content, rejected) for rejected in reply.rejected_texts]
        if reply.feedback_text:
            candidates.append((reply.feedback_text, reply.content))
        records += [r for chosen, rejected in candidates if (r := _pair(prompt, chosen, rejected))]
    return records


def records_dataset_create(*, user, records: list[dict], name: str, description: str,
                           filename: str):
    """A new dataset whose first version is `records` as jsonl; its DatasetVersion."""
    from apps.datasets.services import dataset_create, dataset_version_upload

    body = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records).encode()
    with transaction.atomic():
        dataset = dataset_create(user=user, name=name, description=description)
        version, _ = dataset_version_upload(user=user, dataset_id=dataset.pk, stream=io.BytesIO(body),
                                            filename=filename, content_length=len(body))
    return version


def nothing_to_export(message: str) -> ValidationError:
    return ValidationError({"non_field_errors": [f"nothing to export yet: {message}"]})
