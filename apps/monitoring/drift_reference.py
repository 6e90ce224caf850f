"""A dataset version as a drift reference: a seeded sample of its records, each turned into
the features a served generation gets (apps.monitoring.features, apps.monitoring.records):
the prompt's all-MiniLM-L6-v2 embedding, and the reference reply's length, refusal flag and
personality metrics. Computed once per dataset version, on the first check that needs it; a
valid dataset version never changes, so the sample never goes stale. A dataset with no
record to compare keeps one empty sample, so it is not read again on every check.

A record's prompt is its last user turn (a pair's prompt, a chat's or a preference's last
user message); its reply, the answer it gives (a pair's response, a chat's last assistant
turn, a preference's chosen reply). Plain text (each non-empty line of a .txt file, a JSON or
CSV record's text) reads as a prompt without a reply, so such a dataset is a reference for
prompts only and the reply kinds keep the version's first week of traffic."""

from __future__ import annotations

import numpy as np
from django.db import transaction

from apps.datasets.models import DatasetVersion

from .models import DriftReferenceSample
from .records import REPLY_CHARS, prompt_excerpt, refused

SAMPLES = 1000  # records kept: as many as a drift test compares per side (MMD_MAX_PER_SIDE)
RECORDS_READ = 20_000  # records read to draw the sample from: bounds the time on a huge dataset


def _prompt_and_reply(record) -> list[tuple[str, str]]:
    if record.kind == "text":
        lines = (record.text or "").splitlines() if record.file.endswith(".txt") else [record.text or ""]
        return [(line.strip(), "") for line in lines if line.strip()]
    conversation, answer = record.answered()
    users = [turn["content"] for turn in conversation if turn["role"] == "user"]
    return [(users[-1] if users else "", answer)]


def _read(version: DatasetVersion) -> list[tuple[str, str]]:
    from apps.datasets.services import dataset_version_files
    from ml.data import Columns, iter_records

    columns = Columns(text=version.text_column, prompt=version.prompt_column, response=version.response_column)
    pairs: list[tuple[str, str]] = []
    with dataset_version_files(version) as path:
        for record in iter_records(path, columns):
            pairs.extend(_prompt_and_reply(record))
            if len(pairs) >= RECORDS_READ:
                break
    return pairs[:RECORDS_READ]


def _samples(version: DatasetVersion, seed: int) -> list[DriftReferenceSample]:
    from ml.personality.embeddings import embed
    from ml.personality.metrics import measure

    pairs = _read(version)
    if len(pairs) > SAMPLES:
        picked = np.random.default_rng(seed).choice(len(pairs), SAMPLES, replace=False)
        pairs = [pairs[i] for i in sorted(picked)]
    if not pairs:
        return [DriftReferenceSample(dataset_version=version)]  # nothing to compare: the empty sample
    embeddings = embed([prompt_excerpt(prompt) for prompt, _ in pairs])  # (N, 384)
    answered = [i for i, (_, reply) in enumerate(pairs) if reply.strip()]
    scores = dict(zip(answered, measure([pairs[i][1][:REPLY_CHARS] for i in answered])))
    return [
        DriftReferenceSample(
            dataset_version=version,
            prompt_embedding=embeddings[i].tolist() if prompt.strip() else None,
            reply_chars=len(reply) if i in scores else None,
            refused=refused(reply) if i in scores else None,
            personality_scores=dict(scores[i].values) if i in scores and not scores[i].empty else None,
        )
        for i, (prompt, reply) in enumerate(pairs)
    ]


def reference_samples_ensure(*, dataset_version_id: int, seed: int = 0) -> None:
    """Compute the dataset version's reference sample unless it exists. Reading and embedding
    hold no lock (they take minutes on a big dataset); the sample is stored under a lock on
    the dataset version, so two checks computing it at once store it once."""
    samples = DriftReferenceSample.objects.filter(dataset_version_id=dataset_version_id)
    if samples.exists():
        return
    computed = _samples(DatasetVersion.objects.get(pk=dataset_version_id), seed)
    with transaction.atomic():
        DatasetVersion.objects.select_for_update().get(pk=dataset_version_id)
        if not samples.exists():
            DriftReferenceSample.objects.bulk_create(computed)
