"""A run's owner must still have the access it was queued with when it executes or resumes:
once a share is taken back, a queued run fails saying what it may no longer read or run in,
and a stopped one cannot be resumed. A dataset in use by other users' runs says how many,
never what they are called."""

from __future__ import annotations

import pytest

from apps.experiments.tests.factories import make_experiment
from apps.teams.models import Share
from apps.teams.tests.factories import make_team, share
from apps.training import services
from apps.training.models import TrainingRun

from .factories import tiny_config, valid_dataset_version

pytestmark = pytest.mark.django_db
URL = "/api/v1/training-runs/"


@pytest.fixture
def shared(make_user, settings, tmp_path):
    """Alice's dataset and experiment shared with Bob's team, and a run Bob queued with them."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLOUGHGPT_TRAIN_SLOTS = 0  # runs stay queued until executed by hand
    alice, bob = make_user(), make_user()
    team = make_team(alice, (bob, "member"))
    version = valid_dataset_version(alice)
    experiment = make_experiment(alice, name="shared runs")
    dataset_share, experiment_share = share(version.dataset, team), share(experiment, team, level="write")
    training_run = services.training_run_create(user=bob, dataset_version_id=version.pk, config=tiny_config(),
                                                experiment_id=experiment.pk)
    return bob, training_run, dataset_share, experiment_share


def test_a_queued_run_fails_once_its_dataset_is_no_longer_shared(shared):
    # given
    bob, training_run, dataset_share, _ = shared
    dataset_share.delete()
    # when
    status = services.training_run_execute(training_run_id=training_run.pk, execution_id="e1")
    # then
    training_run.refresh_from_db()
    assert status == "failed" and training_run.step == 0
    assert training_run.error == (f"{bob.email} may no longer read the dataset version of this run "
                                  f"(dataset version {training_run.dataset_version_id})")


def test_a_queued_run_fails_once_its_experiment_is_no_longer_shared_to_write(shared):
    # given
    bob, training_run, _, experiment_share = shared
    Share.objects.filter(pk=experiment_share.pk).update(level="read")
    # when
    status = services.training_run_execute(training_run_id=training_run.pk, execution_id="e1")
    # then
    training_run.refresh_from_db()
    assert status == "failed"
    assert training_run.error.startswith(f"{bob.email} may no longer run training in the experiment of this run")


def test_a_stopped_run_cannot_be_resumed_once_its_dataset_is_no_longer_shared(shared, api_client_for):
    # given
    bob, training_run, dataset_share, _ = shared
    services.training_run_cancel(user=bob, training_run_id=training_run.pk)
    dataset_share.delete()
    # when
    resumed = api_client_for(bob).post(f"{URL}{training_run.pk}/resume/", {}, format="json")
    # then
    assert resumed.status_code == 403
    assert "may no longer read the dataset version of this run" in resumed.json()["error"]["message"]
    assert TrainingRun.objects.get(pk=training_run.pk).status == "cancelled"


def test_deleting_a_dataset_others_trained_on_counts_their_runs_without_naming_them(
        make_user, api_client_for, settings, tmp_path):
    # given bob trained on alice's shared dataset in his own experiment, alice once herself
    settings.MEDIA_ROOT = tmp_path / "media"
    alice, bob = make_user(), make_user()
    version = valid_dataset_version(alice)
    share(version.dataset, make_team(alice, (bob, "member")))
    services.training_run_create(user=bob, dataset_version_id=version.pk, config=tiny_config(),
                                 name="bob's secret plan")
    own = services.training_run_create(user=alice, dataset_version_id=version.pk, config=tiny_config(),
                                       name="mine")
    # when
    refused = api_client_for(alice).delete(f"/api/v1/datasets/{version.dataset_id}/")
    # then
    assert refused.status_code == 409
    message = refused.json()["error"]["message"]
    assert message == (f"It is used by training run {own.pk} 'mine' (version 1) and 1 run of other users; "
                       "those runs must be deleted first (by whoever queued them).")
