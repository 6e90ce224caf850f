"""What a drift test compares, read from the database: the features of a version's served
generations in a time range (apps.monitoring.models.InferenceRecord), or of a dataset
version picked as the reference (`DriftReferenceSample`, computed once per dataset version).

Embeddings are the costly part to read (384 floats a row), so only a seeded sample of
`ml.eval.drift.MMD_MAX_PER_SIDE` of them is fetched; the test uses no more than that."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db.models import QuerySet

from ml.eval.drift import MMD_MAX_PER_SIDE

from .models import DriftReferenceSample, InferenceRecord


@dataclass(frozen=True)
class Features:
    embeddings: np.ndarray  # (S, 384): a sample of at most MMD_MAX_PER_SIDE of the prompts
    n_embeddings: int  # prompts with an embedding in all (S is capped)
    reply_chars: np.ndarray  # (R,) replies' lengths
    refused: np.ndarray  # (F,) bool, replies the refusal heuristic was run on
    personality: list[dict]  # the replies' personality metrics, one dict per measured reply
    feedback_down: int = 0  # thumbs down among the rated replies
    feedback_rated: int = 0  # replies with a thumbs up or down


def _sampled_embeddings(rows: QuerySet, seed: int) -> tuple[np.ndarray, int]:
    ids = np.array(rows.filter(prompt_embedding__isnull=False).values_list("id", flat=True), dtype=np.int64)
    picked = ids
    if len(ids) > MMD_MAX_PER_SIDE:
        picked = np.random.default_rng(seed).choice(ids, MMD_MAX_PER_SIDE, replace=False)
    vectors = list(rows.model.objects.filter(id__in=picked.tolist()).order_by("id")
                   .values_list("prompt_embedding", flat=True))
    embeddings = np.array(vectors, dtype=np.float32) if vectors else np.zeros((0, 384), np.float32)
    return embeddings, len(ids)


def _replies(values: list[tuple]) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """(reply_chars, refused, personality_scores) rows -> their three samples, missing ones left out."""
    chars = np.array([c for c, _, _ in values if c is not None], dtype=np.float64)
    refused = np.array([r for _, r, _ in values if r is not None], dtype=bool)
    personality = [p for _, _, p in values if p]
    return chars, refused, personality


def traffic_features(*, model_version_id: int, start, end, seed: int) -> Features:
    """The features of the version's finished generations created in [start, end)."""
    rows = InferenceRecord.objects.filter(
        model_version_id=model_version_id, created_at__gte=start, created_at__lt=end,
        status=InferenceRecord.Status.OK)
    embeddings, n_embeddings = _sampled_embeddings(rows, seed)
    values = list(rows.values_list("reply_chars", "refused", "personality_scores", "message__feedback"))
    chars, refused, personality = _replies([v[:3] for v in values])
    feedback = [v[3] for v in values if v[3]]
    return Features(embeddings, n_embeddings, chars, refused, personality,
                    feedback_down=sum(f == "down" for f in feedback), feedback_rated=len(feedback))


def dataset_features(*, dataset_version_id: int, seed: int) -> Features:
    """The features of a dataset version's reference samples (see drift_reference)."""
    rows = DriftReferenceSample.objects.filter(dataset_version_id=dataset_version_id)
    embeddings, n_embeddings = _sampled_embeddings(rows, seed)
    chars, refused, personality = _replies(list(rows.values_list("reply_chars", "refused", "personality_scores")))
    return Features(embeddings, n_embeddings, chars, refused, personality)
