"""Experiments through a team: a viewer reads runs but cannot log to them, a member adds
runs to a shared experiment, and a removed share hides them again (the live socket:
test_run_socket.py)."""

from __future__ import annotations

import pytest

from apps.experiments.models import Experiment
from apps.teams.tests.factories import make_team, share

from .factories import make_experiment, make_run

pytestmark = pytest.mark.django_db


def test_a_viewer_reads_a_shared_run_but_cannot_log_to_it(make_user, api_client_for):
    # given
    owner, viewer = make_user(), make_user()
    run = make_run(owner, name="baseline")
    share(run.experiment, make_team(owner, (viewer, "viewer")), level="write")
    client = api_client_for(viewer)
    # when
    shown = client.get(f"/api/v1/runs/{run.pk}/")
    logged = client.post(f"/api/v1/runs/{run.pk}/metrics/",
                         {"metrics": [{"key": "loss", "value": 1.0, "step": 1}]}, format="json")
    # then
    assert shown.status_code == 200 and shown.json()["access_role"] == "read"
    assert logged.status_code == 403


def test_a_member_adds_a_run_to_a_shared_experiment_and_it_is_theirs(make_user, api_client_for):
    # given
    owner, member = make_user(), make_user()
    experiment = make_experiment(owner)
    share(experiment, make_team(owner, (member, "member")), level="write")
    # when
    response = api_client_for(member).post(f"/api/v1/experiments/{experiment.pk}/runs/", {"name": "mine"},
                                           format="json")
    # then
    assert response.status_code == 201, response.content
    assert response.json()["access_role"] == "write"
    assert experiment.runs.get().owner == member


def test_a_member_of_the_owning_team_sees_the_experiment_as_shared(make_user, api_client_for):
    # given
    creator, member = make_user(), make_user()
    team = make_team(creator, (member, "member"))
    experiment = make_experiment(creator, name="team work")
    Experiment.objects.filter(pk=experiment.pk).update(team=team)
    client = api_client_for(member)
    # when
    shared = client.get("/api/v1/experiments/?scope=shared").json()["results"]
    mine = client.get("/api/v1/experiments/?scope=mine").json()["results"]
    # then
    assert [(e["name"], e["access_role"]) for e in shared] == [("team work", "team_member")]
    assert mine == []


def test_a_removed_share_hides_the_runs_again(make_user, api_client_for):
    # given
    owner, member = make_user(), make_user()
    run = make_run(owner)
    granted = share(run.experiment, make_team(owner, (member, "member")))
    client = api_client_for(member)
    assert client.get(f"/api/v1/runs/{run.pk}/").status_code == 200
    # when
    granted.delete()
    # then
    assert client.get(f"/api/v1/runs/{run.pk}/").status_code == 404
    assert client.get(f"/api/v1/experiments/{run.experiment_id}/runs/").status_code == 404

