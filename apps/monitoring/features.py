"""The drift features of a served generation, filled in after the reply was delivered: the
prompt's embedding (all-MiniLM-L6-v2, the function apps/rag embeds with) and the reply's
personality metrics (ml.personality.metrics, which personality evaluations measure). Each is
computed on its own: one failing leaves its field null and the other still lands.

The texts never travel in the task's message (the broker keeps messages, and a chat's words
are not its business): `inference_record_texts_keep` holds them in the cache under the
record's id, for as long as a task may reasonably wait in its queue, and the task, given only
the id, reads them there and drops them once the features are written."""

from __future__ import annotations

import logging

from django.core.cache import cache

from .models import InferenceRecord

logger = logging.getLogger(__name__)

# How long a record's texts wait for its features task; one that waited longer (a lost message,
# a queue stalled for a day) leaves the record without features.
TEXTS_KEPT_S = 24 * 3600


def _texts_key(record_id: int) -> str:
    return f"monitoring:record-texts:{record_id}"


def inference_record_texts_keep(*, record_id: int, prompt_text: str, reply_text: str) -> None:
    """Hold a record's prompt and reply for its features task."""
    cache.set(_texts_key(record_id), {"prompt": prompt_text, "reply": reply_text}, timeout=TEXTS_KEPT_S)


def _embedding(text: str) -> list[float] | None:
    from ml.personality.embeddings import embed

    return embed([text])[0].tolist() if text.strip() else None


def _personality_scores(text: str) -> dict[str, float] | None:
    from ml.personality.metrics import measure

    return dict(measure([text])[0].values) if text.strip() else None


def inference_record_features(*, record_id: int) -> None:
    """Fill a record's prompt embedding and personality scores from its kept texts, then drop
    them; a redelivered task writes only what is still missing, and one whose texts are gone
    (done already, or expired) does nothing."""
    texts = cache.get(_texts_key(record_id))
    record = InferenceRecord.objects.filter(pk=record_id).only(
        "prompt_embedding", "personality_scores").first()
    if texts is None or record is None:
        return
    fields = {}
    for field, compute, text in (("prompt_embedding", _embedding, texts["prompt"]),
                                 ("personality_scores", _personality_scores, texts["reply"])):
        if getattr(record, field) is not None:
            continue
        try:
            fields[field] = compute(text)
        except Exception:
            logger.exception("record %s: %s could not be computed", record_id, field)
    if any(value is not None for value in fields.values()):
        InferenceRecord.objects.filter(pk=record_id).update(**fields)
    cache.delete(_texts_key(record_id))
