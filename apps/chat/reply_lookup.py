"""The inference worker's first read for a queued reply: the reply, its conversation (with
its owner's id, whose access the worker asks again), model version and personality version,
the conversation's collections, the version's ready exports and the finished turns before
the reply, in one query.

The SQL is written here rather than built by the ORM because everything the worker does
before the prompt reaches the engine delays the first token, and on a busy machine it takes
CPU from the prompts of other chats: the ORM spent about 6 ms of CPU compiling and reading
this (and the history) per reply, the hand-written query under 1 ms. Rows become the ORM's
own instances (apps/core/raw_rows.py), handed to the worker in one typed `ReplyContext`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from django.contrib.auth import get_user_model
from django.db import connection

from apps.core.raw_rows import column_count, instance_from_row, select_columns
from apps.personalities.models import PersonalityVersion
from apps.registry.models import ModelExport, ModelVersion

from .models import HISTORY_STATUSES, Conversation, Message


@dataclass(frozen=True)
class ReplyContext:
    """What the worker builds a queued reply's prompt from and serves its model with."""

    reply: Message  # its `conversation` loaded, with the two below cached on it
    conversation: Conversation
    model_version: ModelVersion | None  # None when the version was deleted
    # Only the columns `_JOINED` names are loaded (the loader caches the rest by id).
    personality_version: PersonalityVersion | None
    collection_ids: list[int]  # the conversation's collections, in the order attached
    ready_qtypes: list[str]  # the version's ready export types
    history: list[dict]  # the HISTORY_STATUSES turns with text before the reply, as chat messages


# (model, alias, the columns read or None for all). Of the personality version the worker
# needs whether it is ready and its id (the loader caches the rest by id), and for a version
# that is not ready the words of its refusal; its JSON spec and profile are not read here. Of
# the owner, whose access to the model and collections is asked again, only the id.
_JOINED = ((Message, "m", None), (Conversation, "c", None), (ModelVersion, "v", None),
           (PersonalityVersion, "pv", ("id", "personality_id", "number", "status", "error")))
_OWNER_COLUMNS = ("id",)


@cache
def _sql() -> str:
    collections = Conversation.collections.through._meta
    columns = ", ".join(select_columns(model, alias, only) for model, alias, only in _joined())
    return f"""
        SELECT {columns},
            ARRAY(SELECT cc."collection_id" FROM "{collections.db_table}" cc
                  WHERE cc."conversation_id" = c."id" ORDER BY cc."id") AS collection_ids,
            ARRAY(SELECT e."qtype" FROM "{ModelExport._meta.db_table}" e
                  WHERE e."model_version_id" = c."model_version_id" AND e."status" = %s
                    AND e."format" = '{ModelExport.Format.SOU}'  -- GGUF files are downloads only
                  ORDER BY e."qtype") AS ready_qtypes,
            (SELECT json_agg(json_build_array(h."role", h."content") ORDER BY h."id")
             FROM "{Message._meta.db_table}" h
             WHERE h."conversation_id" = m."conversation_id" AND h."id" < m."id"
               AND h."status" = ANY(%s) AND h."content" <> '')::text AS history
        FROM "{Message._meta.db_table}" m
        JOIN "{Conversation._meta.db_table}" c ON c."id" = m."conversation_id"
        LEFT JOIN "{ModelVersion._meta.db_table}" v ON v."id" = c."model_version_id"
        LEFT JOIN "{PersonalityVersion._meta.db_table}" pv ON pv."id" = c."personality_version_id"
        JOIN "{get_user_model()._meta.db_table}" u ON u."id" = c."owner_id"
        WHERE m."id" = %s AND m."role" = %s"""


def _joined() -> tuple:
    return (*_JOINED, (get_user_model(), "u", _OWNER_COLUMNS))


def queued_reply(message_id: int) -> ReplyContext | None:
    """The assistant message `message_id` and what its prompt is built from; None when there
    is no such assistant message."""
    with connection.cursor() as cursor:
        cursor.execute(_sql(), [ModelExport.Status.READY, list(HISTORY_STATUSES), message_id,
                                Message.Role.ASSISTANT])
        row = cursor.fetchone()
    if row is None:
        return None
    instances, start = [], 0
    for model, alias, only in _joined():
        end = start + column_count(model, only)
        instances.append(instance_from_row(model, row[start:end], alias, only))
        start = end
    reply, conversation, version, persona_version, owner = instances
    collection_ids, ready_qtypes, history = row[start:]
    if version.pk is None:  # the LEFT JOIN found no version: it was deleted
        version = None
    if persona_version.pk is None:
        persona_version = None
    Conversation._meta.get_field("model_version").set_cached_value(conversation, version)
    Conversation._meta.get_field("personality_version").set_cached_value(conversation, persona_version)
    Conversation._meta.get_field("owner").set_cached_value(conversation, owner)
    Message._meta.get_field("conversation").set_cached_value(reply, conversation)
    return ReplyContext(
        reply=reply, conversation=conversation, model_version=version,
        personality_version=persona_version, collection_ids=list(collection_ids),
        ready_qtypes=list(ready_qtypes),
        history=[{"role": role, "content": content} for role, content in json.loads(history or "[]")],
    )
