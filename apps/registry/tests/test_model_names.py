"""Models named rather than given by id: a name finds only the user's private models, so a
team's model is reached through its id (and the team's access), never through the name its
creator gave it; the starter model is always the user's own."""

from __future__ import annotations

import pytest

from apps.registry import services
from apps.registry.models import ModelVersion, RegisteredModel
from apps.teams.models import Membership
from apps.teams.tests.factories import make_team

pytestmark = pytest.mark.django_db
UPLOAD = "/api/v1/model-versions/upload/"


def _upload(client, query: str):
    return client.post(f"{UPLOAD}?filename=model.gguf&{query}", data=b"GGUF not really",
                       content_type="application/octet-stream")


def test_a_user_removed_from_a_team_cannot_add_a_version_to_its_model_by_name(make_user, api_client_for):
    # given a model its creator moved into a team, and then the creator removed from the team
    owner, creator = make_user(), make_user()
    team = make_team(owner, (creator, "member"))
    model = RegisteredModel.objects.create(owner=creator, team=team, name="team-model")
    Membership.objects.filter(team=team, user=creator).delete()
    # when the creator uploads a version naming the model
    response = _upload(api_client_for(creator), "name=team-model")
    # then the name is refused, and the team's model gains nothing
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["name"] == ["a team owns a model named 'team-model'; pass model_id"]
    assert not ModelVersion.objects.filter(registered_model=model).exists()
    assert list(RegisteredModel.objects.filter(owner=creator).values_list("team", flat=True)) == [team.pk]


def test_a_viewer_who_made_a_team_model_cannot_add_to_it_by_name_or_by_id(make_user, api_client_for):
    # given a model its creator moved into a team where they are now a viewer
    owner, creator = make_user(), make_user()
    team = make_team(owner, (creator, "viewer"))
    model = RegisteredModel.objects.create(owner=creator, team=team, name="team-model")
    client = api_client_for(creator)
    # when
    by_name = _upload(client, "name=team-model")
    by_id = _upload(client, f"model_id={model.pk}")
    # then
    assert by_name.status_code == 400 and "pass model_id" in by_name.json()["error"]["fields"]["name"][0]
    assert by_id.status_code == 403
    assert not ModelVersion.objects.filter(registered_model=model).exists()


def test_a_name_finds_the_users_private_model_beside_a_teams_model_of_the_same_name(make_user, api_client_for):
    # given a private model and a team's model, both named "twin" and both made by the user
    owner = make_user()
    team = make_team(owner)
    RegisteredModel.objects.create(owner=owner, team=team, name="twin")
    private = RegisteredModel.objects.create(owner=owner, name="twin")
    # when
    response = _upload(api_client_for(owner), "name=twin")
    # then the version goes into the private one
    assert response.status_code == 201, response.json()
    assert ModelVersion.objects.get(pk=response.json()["id"]).registered_model_id == private.pk


def test_the_starter_model_is_always_the_users_private_one(make_user, django_capture_on_commit_callbacks):
    # given the user's starter model, moved into a team they then left
    owner, user = make_user(), make_user()
    team = make_team(owner, (user, "member"))
    first, _ = services.model_version_create_starter(user=user)
    RegisteredModel.objects.filter(pk=first.registered_model_id).update(team=team)
    Membership.objects.filter(team=team, user=user).delete()
    # when they add the starter model again
    version, created = services.model_version_create_starter(user=user)
    # then a new private starter model, not the team's version
    assert created and version.pk != first.pk
    assert version.registered_model.team_id is None and version.registered_model_id != first.registered_model_id
    assert version.registered_model.name == first.registered_model.name
