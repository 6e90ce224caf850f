"""Drift checks on a real Celery worker: the periodic pass queues a check for a version with
traffic and the worker stores its results; "check now" does the same on demand; a version
checked within its window is not checked again."""

import time
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from apps.monitoring.models import DriftResult
from apps.monitoring.tasks import drift_pass_task

from .drift_factories import model_version, served

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def _results(version, expected: int, timeout: float = 90) -> list[DriftResult]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = list(DriftResult.objects.filter(model_version=version))
        if len(rows) >= expected:
            return rows
        time.sleep(0.5)
    return list(DriftResult.objects.filter(model_version=version))


def _busy_version(owner, name: str, now):
    rng = np.random.default_rng(0)
    version = model_version(owner, name)
    for at in (now - timedelta(days=9), now - timedelta(hours=2)):
        served(version, at=at, n=60, embeddings=rng.normal(size=(60, 384)), reply_chars=rng.normal(300, 50, 60).clip(1))
    return version


def test_the_periodic_pass_checks_a_version_with_traffic_on_the_worker(celery_worker_process, make_user):
    # given: a version served last week and today, and one never served
    owner, now = make_user(), timezone.now()
    busy = _busy_version(owner, "busy", now)
    idle = model_version(owner, "idle")
    # when: the pass runs (as its scheduled task does)
    drift_pass_task()
    results = _results(busy, 5)
    # then: every kind was tested on the worker; the idle version was left alone
    assert sorted(r.kind for r in results) == ["feedback", "length", "personality", "prompt", "refusal"]
    by_kind = {r.kind: r for r in results}
    assert by_kind["prompt"].status == "ok" and by_kind["prompt"].n_window == 60
    assert by_kind["feedback"].status == "insufficient"
    assert not DriftResult.objects.filter(model_version=idle).exists()
    # and a second pass within the window finds nothing due
    drift_pass_task()
    assert len(_results(busy, 6, timeout=3)) == 5


def test_check_now_runs_on_the_worker(celery_worker_process, make_user, api_client_for):
    # given
    owner, now = make_user(), timezone.now()
    version = _busy_version(owner, "checked", now)
    # when
    answer = api_client_for(owner).post(f"/api/v1/monitoring/model-versions/{version.pk}/drift/check/")
    results = _results(version, 5)
    # then
    assert answer.status_code == 202
    assert {r.kind for r in results} == {"feedback", "length", "personality", "prompt", "refusal"}
    assert {r.window_end.isoformat() for r in results} == {answer.json()["window_end"].replace("Z", "+00:00")}
