"""A departing member's training run folders move, and only their own runs' checkpoint paths
follow: a folder whose name starts the same (run 12 vs run 123) is left alone."""

from pathlib import Path

import pytest

from apps.experiments.tests.factories import make_run
from apps.teams.departure import _training_paths_moved
from apps.training.models import TrainingRun
from apps.training.tests.factories import valid_dataset_version

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _run_with_checkpoint(user, checkpoint: str) -> TrainingRun:
    return TrainingRun.objects.create(owner=user, run=make_run(user), dataset_version=valid_dataset_version(user),
                                      config={}, max_steps=1, status=TrainingRun.Status.FINISHED,
                                      last_checkpoint=checkpoint, best_checkpoint=checkpoint)


def test_moving_one_run_folder_leaves_a_run_whose_folder_name_starts_the_same(make_user):
    # given run folders 12 and 123 of the same owner
    owner = make_user()
    moved = _run_with_checkpoint(owner, "/media/training/7/12/last")
    neighbour = _run_with_checkpoint(owner, "/media/training/7/123/last")
    # when run 12's folder moves to the heir's root
    _training_paths_moved([(Path("/media/training/7/12"), Path("/media/training/9/12"))])
    # then only run 12's paths follow it
    moved.refresh_from_db()
    neighbour.refresh_from_db()
    assert moved.last_checkpoint == moved.best_checkpoint == "/media/training/9/12/last"
    assert neighbour.last_checkpoint == neighbour.best_checkpoint == "/media/training/7/123/last"
