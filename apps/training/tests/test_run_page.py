"""What the run page reads about a training run besides its metrics: the kept log, the
throughput and best validation loss of a finished run, and a queued run's place in line."""

import pytest
from django.core.cache import cache

from apps.training import services
from apps.training.models import TrainingLogLine

from .factories import tiny_config, valid_dataset_version

pytestmark = pytest.mark.django_db
URL = "/api/v1/training-runs/"


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def _queued(user, **config):
    return services.training_run_create(
        user=user, dataset_version_id=valid_dataset_version(user).pk, config=tiny_config(**config)
    )


def test_a_finished_run_shows_its_log_throughput_and_best_validation_loss(owner, api_client_for, settings):
    # given
    training_run = _queued(owner, max_iters=20)
    services.training_run_execute(training_run_id=training_run.pk, execution_id="t1")
    client = api_client_for(owner)
    # when: the page is opened after the run ended
    detail = client.get(f"{URL}{training_run.pk}/").json()
    log = client.get(f"{URL}{training_run.pk}/log/").json()
    # then
    assert detail["status"] == "finished"
    assert detail["tokens_per_s"] > 0 and detail["best_val_loss"] > 0
    lines = [entry["line"] for entry in log["lines"]]
    assert any(line.startswith("step 20/20: loss") for line in lines)
    assert lines[-1] == "completed at step 20"
    assert [entry["id"] for entry in log["lines"]] == sorted(entry["id"] for entry in log["lines"])


def test_a_resumed_run_logs_without_server_paths(owner, api_client_for, settings):
    # given: a run stopped by its cancel flag, then resumed from its checkpoint
    training_run = _queued(owner, max_iters=10)
    cache.set(services._cancel_key(training_run.pk), True)
    services.training_run_execute(training_run_id=training_run.pk, execution_id="t1")
    services.training_run_resume(user=owner, training_run_id=training_run.pk)
    services.training_run_execute(training_run_id=training_run.pk, execution_id="t2")
    # when
    log = api_client_for(owner).get(f"{URL}{training_run.pk}/log/").json()
    # then
    lines = [entry["line"] for entry in log["lines"]]
    assert "cancelled at step 0" in lines and "resuming from last at step 0" in lines
    assert lines[-1] == "completed at step 10"
    assert not any(str(settings.MEDIA_ROOT) in line for line in lines)


def test_the_log_keeps_only_its_last_lines(owner, monkeypatch):
    # given
    monkeypatch.setattr(services, "LOG_LINES_KEPT", 3)
    training_run = _queued(owner)
    # when
    for number in range(5):
        services.training_run_log_append(training_run=training_run, line=f"line {number}")
    # then
    kept = TrainingLogLine.objects.filter(training_run=training_run).order_by("id")
    assert [entry.line for entry in kept] == ["line 2", "line 3", "line 4"]


def test_a_run_that_is_not_queued_has_no_place_in_line(owner, api_client_for):
    # given
    training_run = _queued(owner, max_iters=2)
    services.training_run_execute(training_run_id=training_run.pk, execution_id="t1")
    # when
    detail = api_client_for(owner).get(f"{URL}{training_run.pk}/").json()
    # then
    assert detail["status"] == "finished" and detail["runs_ahead"] is None
