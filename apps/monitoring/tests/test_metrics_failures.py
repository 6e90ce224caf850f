"""Metrics never fail the work they measure: with every metric unwritable (a full disk, a
removed folder), an HTTP request, a quota refusal and a chat generation answer as before and
the failure is logged once; a metrics folder that is not writable stops a process at start
with a message naming it."""

from __future__ import annotations

import errno
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.metrics import MetricWrapperBase

from apps.monitoring import metrics
from apps.quotas.tests.factories import override

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def broken_metrics(monkeypatch):
    """Every metric raises what a full disk raises, and the failures of an earlier test are
    forgotten so that this test's are logged."""

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    for metric in vars(metrics).values():
        if isinstance(metric, MetricWrapperBase):
            for method in ("labels", "inc", "dec", "set", "observe"):
                if hasattr(metric, method):
                    monkeypatch.setattr(metric, method, full)
    monkeypatch.setattr(metrics, "_failed", set())


@pytest.mark.usefixtures("broken_metrics")
def test_requests_and_quota_refusals_answer_as_usual_and_the_failure_is_logged_once(
        make_user, api_client_for, caplog):
    # given a user allowed one API request a minute
    user = make_user()
    override(user=user, api_requests_per_minute=1)
    api = api_client_for(user)
    # when they make three requests
    with caplog.at_level(logging.ERROR, logger="apps.monitoring.metrics"):
        answers = [api.get("/api/v1/datasets/").status_code for _ in range(3)]
    # then the first is answered and the others refused by the quota, not failed
    assert answers == [200, 429, 429]
    failures = [r.getMessage() for r in caplog.records if "_request_count" in r.getMessage()]
    assert len(failures) == 1


@pytest.mark.usefixtures("broken_metrics")
def test_a_generation_streams_its_whole_reply_with_broken_metrics():
    # given an engine that generates three tokens
    from apps.chat.inference import run_generation
    from ml.infer.scheduler import BatchUsage, Delta

    class Stream:
        def __iter__(self):
            yield from (Delta("Hel", 1, None, 1), Delta("lo", 2, None, 2), Delta("!", 3, "stop", 3))

        def cancel(self):
            pass

    class Engine:
        kv_bytes_per_position = 64

        class scheduler:  # noqa: N801 - stands for the engine's scheduler attribute
            @staticmethod
            def usage():
                return BatchUsage(sequences=1, max_batch=4, cached_positions=3, allocated_positions=64)

        def submit(self, request):
            return Stream()

    class Request:
        prompt_ids = (1, 2)

    sent: list[str] = []
    # when it runs as a chat reply's generation of a model version
    result = run_generation(Engine(), Request(), requested_at=0.0, on_text=sent.append,
                            should_stop=lambda: False, batch_s=0.0, model_version_id=7)
    # then the reply arrives whole
    assert "".join(sent) == result.text == "Hello!"
    assert result.finish_reason == "stop" and result.completion_tokens == 3


def test_an_unwritable_metrics_folder_stops_the_process_at_start_naming_it(tmp_path):
    # given a metrics folder that does not exist
    missing = tmp_path / "gone"
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(missing),
               DJANGO_SETTINGS_MODULE="sloughgpt_site.settings.test")
    # when a process starts
    started = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=120)
    # then it stops with a message that names the folder
    assert started.returncode != 0
    assert f"PROMETHEUS_MULTIPROC_DIR='{missing}' is not a writable folder" in started.stderr
