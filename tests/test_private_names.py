"""Names are one per owner among their private objects: once an experiment, collection,
personality or model is moved into a team, its creator may make a new private one of that
name, and work filed under a name (training without an experiment) goes to the private one
rather than to the team's."""

from __future__ import annotations

import pytest

from apps.experiments.models import Experiment
from apps.registry.models import RegisteredModel
from apps.teams.tests.factories import make_team
from apps.training.services import training_run_create
from apps.training.tests.factories import tiny_config, valid_dataset_version

pytestmark = pytest.mark.django_db
CREATE = {
    "experiment": ("/api/v1/experiments/", {}),
    "collection": ("/api/v1/rag/collections/", {}),
    "personality": ("/api/v1/personalities/", {"kind": "config", "archetype": "Sage"}),
}


def _move(client, kind: str, object_id: int, team_id: int | None):
    return client.post(f"/api/v1/sharing/{kind}/{object_id}/move/", {"team_id": team_id}, format="json")


@pytest.mark.parametrize("kind", sorted(CREATE))
def test_a_name_moved_into_a_team_is_free_for_a_new_private_object(kind, make_user, api_client_for):
    # given an object moved into a team
    owner = make_user()
    team = make_team(owner)
    client = api_client_for(owner)
    url, extra = CREATE[kind]
    first = client.post(url, {"name": "notebook", **extra}, format="json")
    assert _move(client, kind, first.json()["id"], team.pk).status_code == 200
    # when the owner makes another of the same name, and asks for the team's one back
    second = client.post(url, {"name": "notebook", **extra}, format="json")
    back = _move(client, kind, first.json()["id"], None)
    # then the new one is private; the team's cannot come back beside it under the same name
    assert second.status_code == 201, second.json()
    assert second.json()["id"] != first.json()["id"]
    assert back.status_code == 400 and "rename one first" in back.json()["error"]["fields"]["team_id"][0]


def test_a_private_model_may_take_the_name_of_one_moved_into_a_team(make_user, api_client_for):
    # given
    owner = make_user()
    RegisteredModel.objects.create(owner=owner, team=make_team(owner), name="assistant")
    private = RegisteredModel.objects.create(owner=owner, name="draft")
    # when
    renamed = api_client_for(owner).patch(f"/api/v1/models/{private.pk}/", {"name": "assistant"}, format="json")
    # then
    assert renamed.status_code == 200 and renamed.json()["name"] == "assistant"


def test_training_without_an_experiment_files_the_run_in_a_private_experiment(make_user):
    # given the experiment named after the dataset, moved into a team where its creator is a viewer
    owner, user = make_user(), make_user()
    version = valid_dataset_version(user)
    team = make_team(owner, (user, "viewer"))
    moved = Experiment.objects.create(owner=user, team=team, name=version.dataset.name)
    # when the user trains without naming an experiment
    training_run = training_run_create(user=user, dataset_version_id=version.pk, config=tiny_config())
    # then the run goes to a new private experiment of that name, not refused by the team's
    experiment = training_run.run.experiment
    assert experiment.pk != moved.pk and experiment.team_id is None
    assert (experiment.owner_id, experiment.name) == (user.pk, "hamlet")
