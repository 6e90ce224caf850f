"""Training runs with files in S3 (a real moto server): an execution stores the run's folder
in the bucket when it ends (keeping no copy), and a later execution on a worker without that
folder continues from the checkpoint stored there."""

from __future__ import annotations

import pytest

from apps.training import services
from apps.training.models import TrainingLogLine

from .factories import tiny_config, valid_dataset_version

pytestmark = pytest.mark.django_db


def _host(settings, tmp_path, name: str) -> None:
    """This process now stands for a worker host with an empty disk of its own."""
    settings.MEDIA_ROOT = tmp_path / name / "media"
    settings.SLOUGHGPT_WORKER_CACHE_DIR = str(tmp_path / name / "cache")


def test_a_run_resumed_on_another_worker_continues_from_the_stored_checkpoint(
        make_user, settings, tmp_path, s3_storage):
    # given a run that trained 10 steps on one worker, resumed for 10 more
    _host(settings, tmp_path, "first")
    owner = make_user()
    run = services.training_run_create(user=owner, dataset_version_id=valid_dataset_version(owner).pk,
                                       config=tiny_config(max_iters=10))
    services.training_run_execute(training_run_id=run.pk, execution_id="first")
    services.training_run_resume(user=owner, training_run_id=run.pk, extra_steps=10)
    # when another worker, which holds none of its files, takes it
    _host(settings, tmp_path, "second")
    status = services.training_run_execute(training_run_id=run.pk, execution_id="second")
    # then it picked up the first worker's checkpoint from the bucket and trained to step 20
    run.refresh_from_db()
    assert status == "finished", run.error
    assert run.step == 20
    lines = list(TrainingLogLine.objects.filter(training_run=run).values_list("line", flat=True))
    assert any("resuming from the last checkpoint (attempt 2)" in line for line in lines)
    assert any(key.startswith(f"training/{owner.pk}/{run.pk}/last/") for key in s3_storage.keys())
    # and neither worker keeps the run's folder once its execution ended
    for host in ("first", "second"):
        assert not [p for p in (tmp_path / host / "media").rglob("training/**/*") if p.is_file()]
