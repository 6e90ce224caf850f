"""Training through a team: a member trains on a dataset shared with them (read is enough
for an input) into a shared experiment, a viewer may not start or stop runs there, and a
removed share hides the dataset from the next run."""

from __future__ import annotations

import pytest

from apps.experiments.tests.factories import make_experiment
from apps.teams.tests.factories import make_team, share
from apps.training.models import TrainingRun

from .factories import tiny_config, valid_dataset_version

pytestmark = pytest.mark.django_db


def _train(client, version, **fields):
    return client.post("/api/v1/training-runs/",
                       {"dataset_version_id": version.pk, "config": tiny_config(), **fields}, format="json")


def test_a_member_trains_on_a_dataset_shared_with_their_team(make_user, api_client_for):
    # given: a dataset shared only to read, an experiment shared to write
    owner, member = make_user(), make_user()
    team = make_team(owner, (member, "member"))
    version = valid_dataset_version(owner)
    share(version.dataset, team, level="read")
    experiment = make_experiment(owner, name="team runs")
    share(experiment, team, level="write")
    # when
    response = _train(api_client_for(member), version, experiment_id=experiment.pk)
    # then: the run is the member's, in the shared experiment, and the owner sees it too
    assert response.status_code == 201, response.content
    training_run = TrainingRun.objects.get(pk=response.json()["id"])
    assert (training_run.owner, training_run.run.experiment) == (member, experiment)
    listed = api_client_for(owner).get("/api/v1/training-runs/?scope=mine").json()["results"]
    assert [run["id"] for run in listed] == [training_run.pk]


def test_a_viewer_may_not_train_in_or_cancel_runs_of_a_shared_experiment(make_user, api_client_for):
    # given
    owner, viewer = make_user(), make_user()
    team = make_team(owner, (viewer, "viewer"))
    version = valid_dataset_version(owner)
    share(version.dataset, team)
    experiment = make_experiment(owner)
    share(experiment, team, level="write")
    queued = _train(api_client_for(owner), version, experiment_id=experiment.pk).json()
    client = api_client_for(viewer)
    # when
    started = _train(client, version, experiment_id=experiment.pk)
    cancelled = client.post(f"/api/v1/training-runs/{queued['id']}/cancel/")
    # then: the viewer sees the run but may not start or stop training
    assert started.status_code == 403
    assert cancelled.status_code == 403
    assert client.get(f"/api/v1/training-runs/{queued['id']}/").json()["access_role"] == "read"


def test_a_removed_share_hides_the_dataset_from_the_next_run(make_user, api_client_for):
    # given
    owner, member = make_user(), make_user()
    version = valid_dataset_version(owner)
    granted = share(version.dataset, make_team(owner, (member, "member")))
    # when
    granted.delete()
    response = _train(api_client_for(member), version)
    # then
    assert response.status_code == 404
