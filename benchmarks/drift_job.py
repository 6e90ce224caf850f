"""Benchmark: time of one drift check (every kind: prompt MMD, personality, length, refusal,
feedback) of a model version whose window holds 10,000 served generations, against a first
week of 10,000 (goal: < 30 s). Prints one JSON line.

    python -m sloughgpt_site.devservices --var var/bench-drift -- python benchmarks/drift_job.py

The generations are written straight into the table with every drift feature filled in as
the features task leaves them: a 384-dim unit prompt embedding drawn around 50 topic centres
(the window's centres moved a little, so the prompt test has something to find), a reply
length, a refusal flag, all 18 personality metrics. The timed part is exactly what the
worker's check task runs (`apps.monitoring.drift.drift_check`): reading the features, the
five tests and writing their results."""

from __future__ import annotations

import argparse
import json
import time
from datetime import timedelta

import numpy as np
from stack import prepare_django

DIM = 384
TOPICS = 50
BATCH = 2000


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _fill(version, *, at, n: int, rng: np.random.Generator, centres: np.ndarray, longer: float) -> None:
    from apps.monitoring.models import InferenceRecord
    from ml.personality.metrics import METRIC_NAMES

    for begin in range(0, n, BATCH):
        size = min(BATCH, n - begin)
        embeddings = _unit(centres[rng.integers(0, TOPICS, size)] + 0.6 * rng.normal(size=(size, DIM)) / np.sqrt(DIM))
        rows = InferenceRecord.objects.bulk_create([
            InferenceRecord(
                model_version=version, source="v1", status="ok", prompt_embedding=embeddings[i].tolist(),
                reply_chars=int(max(1, rng.normal(300 * longer, 80))), refused=bool(rng.random() < 0.05),
                personality_scores={name: float(rng.normal()) for name in METRIC_NAMES},
            )
            for i in range(size)
        ])
        InferenceRecord.objects.filter(pk__in=[row.pk for row in rows]).update(created_at=at, received_at=at)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000, help="generations in the window (and the reference)")
    args = parser.parse_args()

    user, _ = prepare_django()
    from django.db import connection
    from django.utils import timezone

    from apps.monitoring.drift import drift_check
    from apps.monitoring.models import InferenceRecord
    from apps.registry.models import ModelVersion, RegisteredModel

    RegisteredModel.objects.filter(owner=user, name="bench-drift").delete()
    registered = RegisteredModel.objects.create(owner=user, name="bench-drift")
    version = ModelVersion.objects.create(owner=user, registered_model=registered, major=1, minor=0, patch=0,
                                          source="starter", status="ready")
    rng, now = np.random.default_rng(0), timezone.now()
    centres = _unit(rng.normal(size=(TOPICS, DIM)))
    moved = _unit(centres + 0.3 * rng.normal(size=(TOPICS, DIM)) / np.sqrt(DIM))
    started = time.perf_counter()
    _fill(version, at=now - timedelta(days=10), n=args.requests, rng=rng, centres=centres, longer=1.0)
    _fill(version, at=now - timedelta(hours=2), n=args.requests, rng=rng, centres=moved, longer=1.1)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {InferenceRecord._meta.db_table}")
    fill_s = time.perf_counter() - started

    started = time.perf_counter()
    results = drift_check(version_id=version.pk, window_end=now)
    job_s = time.perf_counter() - started
    print(json.dumps({
        "benchmark": "drift_job",
        "window_requests": args.requests,
        "reference_requests": args.requests,
        "drift_job_s": round(job_s, 2),
        "goal_s": 30,
        "fill_s": round(fill_s, 1),
        "kinds": {r.kind: {"status": r.status, "drifted": r.drifted,
                           "p_value": None if r.p_value is None else round(r.p_value, 4),
                           "n_window": r.n_window} for r in results},
    }))
    RegisteredModel.objects.filter(pk=registered.pk).delete()


if __name__ == "__main__":
    main()
