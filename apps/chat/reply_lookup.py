"""The inference worker's first read for a queued reply: the reply, its conversation and model
version, the conversation's collections, the version's ready exports and the finished turns
before the reply, in one query.

The SQL is written here rather than built by the ORM because everything the worker does
before the prompt reaches the engine delays the first token, and on a busy machine it takes
CPU from the prompts of other chats: the ORM spent about 6 ms of CPU compiling and reading
this (and the history) per reply, the hand-written query under 1 ms. The column lists still
come from the models, and values pass through each field's database converters, so the
instances are the ones the ORM would build."""

from __future__ import annotations

import json
from functools import cache

from django.db import connection, models

from apps.registry.models import ModelExport, ModelVersion

from .models import Conversation, Message

_JOINED = ((Message, "m"), (Conversation, "c"), (ModelVersion, "v"))


def _columns(model: type[models.Model], alias: str) -> list[str]:
    return [f'{alias}."{field.column}"' for field in model._meta.concrete_fields]


@cache
def _sql() -> str:
    collections = Conversation.collections.through._meta
    columns = [column for model, alias in _JOINED for column in _columns(model, alias)]
    return f"""
        SELECT {", ".join(columns)},
            ARRAY(SELECT cc."collection_id" FROM "{collections.db_table}" cc
                  WHERE cc."conversation_id" = c."id" ORDER BY cc."id") AS collection_ids,
            ARRAY(SELECT e."qtype" FROM "{ModelExport._meta.db_table}" e
                  WHERE e."model_version_id" = c."model_version_id" AND e."status" = %s
                  ORDER BY e."qtype") AS ready_qtypes,
            (SELECT json_agg(json_build_array(h."role", h."content") ORDER BY h."id")
             FROM "{Message._meta.db_table}" h
             WHERE h."conversation_id" = m."conversation_id" AND h."id" < m."id"
               AND h."status" IN (%s, %s) AND h."content" <> '')::text AS history
        FROM "{Message._meta.db_table}" m
        JOIN "{Conversation._meta.db_table}" c ON c."id" = m."conversation_id"
        LEFT JOIN "{ModelVersion._meta.db_table}" v ON v."id" = c."model_version_id"
        WHERE m."id" = %s AND m."role" = %s"""


@cache
def _converters(model: type[models.Model], alias: str) -> tuple:
    """(index, column expression, converters) for each field of `model` whose database value
    the ORM converts (JSON text to objects...)."""
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        expression = field.get_col(alias)
        converters = (*connection.ops.get_db_converters(expression),
                      *field.get_db_converters(connection))
        if converters:
            found.append((index, expression, converters))
    return tuple(found)


def _instance(model: type[models.Model], values: tuple, alias: str) -> models.Model:
    """`model` from its row values, converted as the ORM converts them."""
    values = list(values)
    for index, expression, converters in _converters(model, alias):
        for convert in converters:
            values[index] = convert(values[index], expression, connection)
    return model.from_db(connection.alias, [f.attname for f in model._meta.concrete_fields],
                         values)


def queued_reply(message_id: int) -> Message | None:
    """The assistant message `message_id` with `conversation` and its `model_version` (None
    when deleted) loaded, and three attributes for building its prompt: `collection_ids` (the
    conversation's collections), `ready_qtypes` (the version's ready export types) and
    `history` (the conversation's finished, non-empty turns before it, as chat messages)."""
    with connection.cursor() as cursor:
        cursor.execute(_sql(), [ModelExport.Status.READY, Message.Status.DONE,
                                Message.Status.STOPPED, message_id, Message.Role.ASSISTANT])
        row = cursor.fetchone()
    if row is None:
        return None
    instances, start = [], 0
    for model, alias in _JOINED:
        end = start + len(model._meta.concrete_fields)
        instances.append(_instance(model, row[start:end], alias))
        start = end
    reply, conversation, version = instances
    collection_ids, ready_qtypes, history = row[start:]
    if version.pk is None:  # the LEFT JOIN found no version: it was deleted
        version = None
    Conversation._meta.get_field("model_version").set_cached_value(conversation, version)
    Message._meta.get_field("conversation").set_cached_value(reply, conversation)
    reply.collection_ids, reply.ready_qtypes = collection_ids, ready_qtypes
    reply.history = [{"role": role, "content": content}
                     for role, content in json.loads(history or "[]")]
    return reply
