"""Writing the record of one served generation. The inference worker calls
`inference_record_write` once a chat reply, /v1 completion or arena reply has ended and its
end was handed to the client, so the user waits for none of it: one INSERT and one rollup
upsert here, the costlier drift features (prompt embedding, personality metrics) later in a
task on the `default` queue, which is sent the record's id only (apps.monitoring.features). It never raises: monitoring failing must not fail a reply."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.db import connection, transaction

from .models import InferenceRecord
from .rollups import histogram, rollup_add

if TYPE_CHECKING:
    from apps.chat.inference import GenerationResult

logger = logging.getLogger(__name__)

# The refusal heuristic: a reply that opens (in its first REFUSAL_WINDOW characters) with
# one of these phrases declines the request. Crude but stable, which is what a rate that is
# compared with itself over time needs.
REFUSAL = re.compile(
    r"\b(i\s*(?:'m| am)\s+(?:sorry|afraid|unable|not able)|i\s*(?:can(?:no|')t|cannot|won't|will not)"
    r"|as an ai\b|i must decline|i'm not comfortable)", re.IGNORECASE)
REFUSAL_WINDOW = 200
# What the features task reads of the texts: more than all-MiniLM-L6-v2 reads (256 tokens) of
# the prompt, and what the personality metrics measure at most of the reply.
PROMPT_CHARS = 4000
REPLY_CHARS = 20_000


def prompt_excerpt(text: str) -> str:
    """What of a prompt is embedded: its start, as the model reads it (its tokens past 256
    are cut), the same for served prompts and a dataset reference's."""
    return text[:PROMPT_CHARS]


def refused(text: str) -> bool:
    """Whether a reply reads as a refusal (`REFUSAL`)."""
    return bool(REFUSAL.search(text[:REFUSAL_WINDOW].replace("’", "'")))


def _when(value: float | datetime | None) -> datetime | None:
    """A wall-clock time as the worker has it (time.time() or an aware datetime)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromtimestamp(value, tz=UTC)


def _ms(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else max(0.0, (end - start).total_seconds() * 1000)


def error_code(error: Exception) -> str:
    """A short, stable name for why a generation failed: the API error's code (not_found,
    ...), context_length_exceeded, invalid_prompt, or the exception's class."""
    from rest_framework.exceptions import APIException

    from ml.infer.engine import ContextLengthError

    if isinstance(error, APIException):
        return str(error.default_code)
    if isinstance(error, ContextLengthError):
        return "context_length_exceeded"
    if isinstance(error, ValueError):
        return "invalid_prompt"
    return type(error).__name__


def outcome(result: GenerationResult | None, error: Exception | None) -> str:
    """The record status of a generation that returned `result` or raised `error`."""
    if error is not None:
        return InferenceRecord.Status.ERROR
    if result is None or result.finish_reason == "cancelled":
        return InferenceRecord.Status.STOPPED
    return InferenceRecord.Status.OK


def inference_record_write(*, source: str, model_version_id: int | None, user_id: int | None,
                           result: GenerationResult | None, error: Exception | None = None,
                           received_at, queued_at=None, worker_started_at=None, relayed_at=None,
                           message_id: int | None = None, prompt_text: str = "",
                           reply_text: str = "") -> InferenceRecord | None:
    """Store one served generation and add it to its version's and the site's rollups; then
    (after commit) ask for its drift features. Times are time.time() floats or datetimes;
    `result` is what the engine returned (None when it never ran), `error` what the
    generation failed with, if it did. A version, user or chat reply deleted meanwhile is
    left out of the record (and a deleted version's rollups), which the site's still count.
    Returns the record, or None when it could not be written (logged)."""
    try:
        return _write(source=source, model_version_id=model_version_id, user_id=user_id,
                      status=outcome(result, error), result=result, received_at=received_at,
                      queued_at=queued_at, worker_started_at=worker_started_at,
                      relayed_at=relayed_at, message_id=message_id,
                      error_code=error_code(error) if error is not None else "",
                      prompt_text=prompt_text, reply_text=reply_text)
    except Exception:
        logger.exception("the %s generation's inference record could not be written", source)
        return None


def _kept(model, pk: int | None) -> int | None:
    """`pk` if that row still exists, kept from being deleted until this transaction ends
    (FOR KEY SHARE, which its other writers never wait for); None if it was deleted."""
    if pk is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {model._meta.db_table} WHERE id = %s FOR KEY SHARE", [pk])
        return pk if cursor.fetchone() else None


@transaction.atomic
def _write(*, source, model_version_id, user_id, status, result, received_at, queued_at,
           worker_started_at, relayed_at, message_id, error_code, prompt_text, reply_text):
    from apps.accounts.models import User
    from apps.chat.models import Message
    from apps.registry.models import ModelVersion

    # What was deleted while the generation ran is left out, not the whole record.
    model_version_id = _kept(ModelVersion, model_version_id)
    user_id, message_id = _kept(User, user_id), _kept(Message, message_id)
    received = _when(received_at)
    record = InferenceRecord.objects.create(
        source=source, model_version_id=model_version_id, user_id=user_id, message_id=message_id,
        status=status, error_code=error_code[:64], received_at=received, queued_at=_when(queued_at),
        worker_started_at=_when(worker_started_at),
        submitted_at=_when(result.submitted_at) if result else None,
        prefill_done_at=_when(result.first_token_at) if result else None,
        finished_at=_when(result.last_token_at) if result else None,
        relayed_at=_when(relayed_at),
        prompt_tokens=result.prompt_tokens if result else None,
        completion_tokens=result.completion_tokens if result else None,
        ttft_ms=result.ttft_ms if result else None, tokens_per_s=result.tokens_per_s if result else None,
        reply_chars=len(reply_text) if status != InferenceRecord.Status.ERROR else None,
        refused=refused(reply_text) if status != InferenceRecord.Status.ERROR else None,
    )
    rollup_add(
        model_version_id=model_version_id, at=received or record.created_at, requests=1,
        errors=int(status == InferenceRecord.Status.ERROR),
        prompt_tokens=record.prompt_tokens or 0, completion_tokens=record.completion_tokens or 0,
        latency_buckets=histogram(_ms(received, record.finished_at)),
        ttft_buckets=histogram(record.ttft_ms),
    )
    if status != InferenceRecord.Status.ERROR and (prompt_text or reply_text):
        prompt, reply = prompt_excerpt(prompt_text), reply_text[:REPLY_CHARS]
        transaction.on_commit(lambda: _features_request(record.pk, prompt, reply), robust=True)
    return record


def _features_request(record_id: int, prompt_text: str, reply_text: str) -> None:
    """Keep the texts for the features task and queue it with the record's id alone."""
    from .features import inference_record_texts_keep
    from .tasks import inference_record_features_task

    inference_record_texts_keep(record_id=record_id, prompt_text=prompt_text, reply_text=reply_text)
    inference_record_features_task.delay(record_id)
