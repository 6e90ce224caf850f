"""What a drift test compares, read from the database: the features of a version's served
generations in a time range (apps.monitoring.models.InferenceRecord), or of a dataset
version picked as the reference (`DriftReferenceSample`, computed once per dataset version),
or, for personality drift, of the answers of the version's personality evaluation
(`evaluation_features`).

Embeddings (384 floats a row) and personality metrics (a JSON object a row) are the costly
parts to read, so only a seeded sample of `ml.eval.drift.MMD_MAX_PER_SIDE` rows of each is
fetched; the scalar features and the feedback counts are read whole. A version's first week,
once over, never changes: its features are cached (`reference_week_features`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet

from ml.eval.drift import MMD_MAX_PER_SIDE

from .models import DriftReferenceSample, InferenceRecord
from .records import REPLY_CHARS


@dataclass(frozen=True)
class Features:
    embeddings: np.ndarray  # (S, 384): a sample of at most MMD_MAX_PER_SIDE of the prompts
    n_embeddings: int  # prompts with an embedding in all (S is capped)
    reply_chars: np.ndarray  # (R,) replies' lengths
    refused: np.ndarray  # (F,) bool, replies the refusal heuristic was run on
    personality: list[dict]  # a sample of at most MMD_MAX_PER_SIDE of the replies' personality metrics
    feedback_down: int = 0  # thumbs down among the rated replies
    feedback_rated: int = 0  # replies with a thumbs up or down


# How long a complete first week's features stay cached (each check reads them again after).
WEEK_CACHE_S = 24 * 3600
# After the week's end, how long its last generations' features may still be coming in.
WEEK_SETTLE = timedelta(hours=1)


def _sampled(rows: QuerySet, field: str, seed: int) -> tuple[list, int]:
    """(a seeded sample of at most MMD_MAX_PER_SIDE of the rows' non-null `field`, by id;
    how many rows have one)."""
    ids = np.array(rows.filter(**{f"{field}__isnull": False}).values_list("id", flat=True), dtype=np.int64)
    picked = ids
    if len(ids) > MMD_MAX_PER_SIDE:
        picked = np.random.default_rng(seed).choice(ids, MMD_MAX_PER_SIDE, replace=False)
    values = list(rows.model.objects.filter(id__in=picked.tolist()).order_by("id").values_list(field, flat=True))
    return values, len(ids)


def _sampled_embeddings(rows: QuerySet, seed: int) -> tuple[np.ndarray, int]:
    vectors, count = _sampled(rows, "prompt_embedding", seed)
    embeddings = np.array(vectors, dtype=np.float32) if vectors else np.zeros((0, 384), np.float32)
    return embeddings, count


def _replies(rows: QuerySet, seed: int) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """The rows' reply lengths, refusal flags and a sample of their personality metrics,
    missing ones left out."""
    values = list(rows.values_list("reply_chars", "refused"))
    chars = np.array([c for c, _ in values if c is not None], dtype=np.float64)
    refused = np.array([r for _, r in values if r is not None], dtype=bool)
    personality, _ = _sampled(rows, "personality_scores", seed)
    return chars, refused, [p for p in personality if p]


def _served(model_version_id: int, start, end) -> QuerySet:
    return InferenceRecord.objects.filter(model_version_id=model_version_id, created_at__gte=start,
                                          created_at__lt=end, status=InferenceRecord.Status.OK)


def _feedback(rows: QuerySet) -> dict[str, int]:
    """Thumbs down among the rows' rated replies, and how many are rated (Features' fields)."""
    return rows.aggregate(feedback_down=Count("id", filter=Q(message__feedback="down")),
                          feedback_rated=Count("id", filter=Q(message__feedback__in=["up", "down"])))


def traffic_features(*, model_version_id: int, start, end, seed: int) -> Features:
    """The features of the version's finished generations created in [start, end)."""
    rows = _served(model_version_id, start, end)
    embeddings, n_embeddings = _sampled_embeddings(rows, seed)
    chars, refused, personality = _replies(rows, seed)
    return Features(embeddings, n_embeddings, chars, refused, personality, **_feedback(rows))


def reference_week_features(*, model_version_id: int, start: datetime, end: datetime, seed: int,
                            now: datetime) -> Features:
    """`traffic_features` of the version's first week [start, end), cached once the week is
    over and settled. Feedback keeps coming for a week's replies, so it is read fresh."""
    if now < end + WEEK_SETTLE:
        return traffic_features(model_version_id=model_version_id, start=start, end=end, seed=seed)
    key = f"monitoring:drift-week:{model_version_id}:{start.timestamp()}:{seed}"
    week = cache.get(key)
    if week is None:
        week = traffic_features(model_version_id=model_version_id, start=start, end=end, seed=seed)
        cache.set(key, week, timeout=WEEK_CACHE_S)
    return dataclasses.replace(week, **_feedback(_served(model_version_id, start, end)))


def dataset_features(*, dataset_version_id: int, seed: int) -> Features:
    """The features of a dataset version's reference samples (see drift_reference)."""
    rows = DriftReferenceSample.objects.filter(dataset_version_id=dataset_version_id)
    embeddings, n_embeddings = _sampled_embeddings(rows, seed)
    chars, refused, personality = _replies(rows, seed)
    return Features(embeddings, n_embeddings, chars, refused, personality)


def _measured(texts: list[str]) -> list[dict]:
    from ml.personality.metrics import measure

    answered = [text[:REPLY_CHARS] for text in texts if text and text.strip()]
    return [dict(scores.values) for scores in measure(answered) if not scores.empty] if answered else []


def evaluation_features(*, model_version_id: int) -> tuple[int, Features] | None:
    """(its id, the personality metrics of its answers) of the version's latest ready
    personality evaluation, in the condition a chat with the version is served (the report's
    `served`): the baseline its replies are expected to keep. None when it has none, or none
    with answers. A ready evaluation never changes, so its measures are cached."""
    from apps.personalities.models import PersonalityEvaluation

    evaluation = (PersonalityEvaluation.objects.filter(model_version_id=model_version_id,
                                                       status=PersonalityEvaluation.Status.READY)
                  .order_by(F("finished_at").desc(nulls_last=True), "-id").values_list("id", "report").first())
    if evaluation is None:
        return None
    evaluation_id, report = evaluation
    key = f"monitoring:drift-evaluation:{evaluation_id}"
    personality = cache.get(key)
    if personality is None:
        served = (report or {}).get("served", "none")
        personality = _measured([answer.get(served) or "" for answer in (report or {}).get("answers", [])])
        cache.set(key, personality, timeout=WEEK_CACHE_S)
    if not personality:
        return None
    empty = np.zeros(0)
    return evaluation_id, Features(np.zeros((0, 384), np.float32), 0, empty, empty.astype(bool), personality)
