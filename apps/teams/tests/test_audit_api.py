"""The audit log API: team admins see their teams' events, everyone their own actions,
staff everything, with filters."""

from __future__ import annotations

import pytest

from apps.datasets.models import Dataset
from apps.teams.services import share_set
from apps.teams.tests.factories import make_team

pytestmark = pytest.mark.django_db


def _actions(client, query=""):
    answer = client.get(f"/api/v1/audit/{query}")
    assert answer.status_code == 200
    return [(e["action"], e["actor_email"]) for e in answer.json()["results"]]


def test_admins_see_their_teams_events_and_members_only_their_own(make_user, api_client_for):
    # given: a member shares a dataset with the team
    alice, admin, member, outsider = make_user(), make_user(), make_user(), make_user()
    team = make_team(alice, (admin, "admin"), (member, "member"))
    dataset = Dataset.objects.create(owner=member, name="corpus")
    share_set(user=member, kind="dataset", object_id=dataset.pk, team_id=team.pk, level="read")
    other = make_team(outsider, name="elsewhere")
    share_set(user=outsider, kind="dataset", object_id=Dataset.objects.create(owner=outsider, name="x").pk,
              team_id=other.pk, level="read")
    # when / then
    assert _actions(api_client_for(admin)) == [("share.set", member.email)]
    assert _actions(api_client_for(member)) == [("share.set", member.email)]
    assert _actions(api_client_for(make_user())) == []


def test_staff_see_everything_and_filter_it(make_user, api_client_for):
    # given
    alice, bob = make_user(), make_user()
    staff = make_user(is_staff=True)
    team = make_team(alice)
    dataset = Dataset.objects.create(owner=alice, name="corpus")
    share_set(user=alice, kind="dataset", object_id=dataset.pk, team_id=team.pk, level="read")
    make_team(bob, name="bob's")
    client = api_client_for(staff)
    # when / then
    assert _actions(client) == [("share.set", alice.email)]
    assert _actions(client, f"?actor={alice.pk}&action=share.set") == [("share.set", alice.email)]
    assert _actions(client, f"?actor={bob.pk}") == []
    assert client.get("/api/v1/audit/?team=abc").status_code == 400
