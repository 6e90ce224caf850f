"""Training compute: a run's CPU time is measured as it trains and counted against its
account's month; a spent month refuses new and resumed runs with 429 until the next month,
and a run that passes the limit stops, saying why."""

import pytest

from apps.quotas.accounts import account_for_user
from apps.quotas.limits import limits_invalidate
from apps.quotas.tests.factories import override
from apps.training import services
from apps.training.compute import month_start, next_month_start
from apps.training.models import TrainingComputeUsage, TrainingRun
from apps.training.selectors import compute_used_seconds

from .factories import tiny_config, valid_dataset_version

pytestmark = pytest.mark.django_db
URL = "/api/v1/training-runs/"


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def _queued(user, **train):
    return services.training_run_create(
        user=user, dataset_version_id=valid_dataset_version(user).pk, config=tiny_config(**train))


def _spend(training_run: TrainingRun, seconds: float) -> None:
    TrainingComputeUsage.objects.create(training_run=training_run, month=month_start().date(), cpu_seconds=seconds,
                                        account_user=training_run.owner, user=training_run.owner)


def test_a_run_counts_the_cpu_time_it_trained_for(owner, api_client_for):
    # given
    training_run = _queued(owner, max_iters=20)
    # when
    status = services.training_run_execute(training_run_id=training_run.pk, execution_id="c1")
    # then
    assert status == "finished"
    body = api_client_for(owner).get(f"{URL}{training_run.pk}/").json()
    assert body["cpu_seconds"] > 0 and body["gpu_seconds"] == 0
    used = compute_used_seconds(account=account_for_user(owner), month_start=month_start())
    assert used == pytest.approx(body["cpu_seconds"])


def test_a_spent_month_refuses_new_and_resumed_runs_until_the_next(owner, api_client_for):
    # given a limit of 100 CPU-seconds a month, all used, and a stopped run
    override(user=owner, compute_seconds_per_month=100)
    limits_invalidate()
    stopped = _queued(owner)
    services.training_run_cancel(user=owner, training_run_id=stopped.pk)
    _spend(stopped, 100)
    client = api_client_for(owner)
    # when
    created = client.post(URL, {"dataset_version_id": stopped.dataset_version_id, "config": tiny_config()},
                          format="json")
    resumed = client.post(f"{URL}{stopped.pk}/resume/", {}, format="json")
    # then
    for response in (created, resumed):
        assert response.status_code == 429
        assert response.json()["error"]["code"] == "quota_exceeded"
        assert "compute quota" in response.json()["error"]["message"]
        assert next_month_start().isoformat() in response.json()["error"]["message"]
        assert int(response["Retry-After"]) > 0
    assert TrainingRun.objects.filter(owner=owner).count() == 1


def test_a_run_that_passes_the_months_limit_stops_saying_why(owner, monkeypatch):
    # given a limit of one CPU-second, and a run far longer than that
    override(user=owner, compute_seconds_per_month=1)
    limits_invalidate()
    monkeypatch.setattr(services, "HEARTBEAT_EVERY_S", 0.2)
    training_run = _queued(owner, max_iters=100_000)
    # when
    status = services.training_run_execute(training_run_id=training_run.pk, execution_id="c1")
    # then
    training_run.refresh_from_db()
    assert status == "failed" and 0 < training_run.step < 100_000
    assert training_run.error.startswith(f"compute quota for {month_start():%B %Y} spent:")
    assert "of 1 CPU/GPU-seconds" in training_run.error
    assert training_run.cpu_seconds >= 1
