"""The drift features of a served generation, filled in after the reply was delivered: the
prompt's embedding (all-MiniLM-L6-v2, the function apps/rag embeds with) and the reply's
personality metrics (ml.personality.metrics, which personality evaluations measure). Each is
computed on its own: one failing leaves its field null and the other still lands."""

from __future__ import annotations

import logging

from .models import InferenceRecord

logger = logging.getLogger(__name__)


def _embedding(text: str) -> list[float] | None:
    from ml.personality.embeddings import embed

    return embed([text])[0].tolist() if text.strip() else None


def _personality_scores(text: str) -> dict[str, float] | None:
    from ml.personality.metrics import measure

    return dict(measure([text])[0].values) if text.strip() else None


def inference_record_features(*, record_id: int, prompt_text: str, reply_text: str) -> None:
    """Fill a record's prompt embedding and personality scores; a redelivered task writes
    only what is still missing."""
    record = InferenceRecord.objects.filter(pk=record_id).only(
        "prompt_embedding", "personality_scores").first()
    if record is None:
        return
    fields = {}
    for field, compute, text in (("prompt_embedding", _embedding, prompt_text),
                                 ("personality_scores", _personality_scores, reply_text)):
        if getattr(record, field) is not None:
            continue
        try:
            fields[field] = compute(text)
        except Exception:
            logger.exception("record %s: %s could not be computed", record_id, field)
    if any(value is not None for value in fields.values()):
        InferenceRecord.objects.filter(pk=record_id).update(**fields)
