"""Teams through the API: creating and listing them, renaming, deleting, handing ownership
over, leaving, removing members and changing roles, with the rules that keep a team owned."""

from __future__ import annotations

import pytest

from apps.core.access import Action, access_get
from apps.datasets.models import Dataset
from apps.teams.models import AuditEvent, Membership
from apps.teams.tests.factories import make_team

pytestmark = pytest.mark.django_db


def _role(team, user) -> str | None:
    return Membership.objects.filter(team=team, user=user).values_list("role", flat=True).first()


def test_the_creator_owns_a_new_team_and_only_members_see_it(make_user, api_client_for):
    # given
    alice, bob = make_user(), make_user()
    # when
    created = api_client_for(alice).post("/api/v1/teams/", {"name": "  Lab  "}, format="json")
    # then
    assert created.status_code == 201
    assert created.json()["name"] == "Lab"
    assert [(m["email"], m["role"]) for m in created.json()["members"]] == [(alice.email, "owner")]
    assert [t["role"] for t in api_client_for(alice).get("/api/v1/teams/").json()["results"]] == ["owner"]
    assert api_client_for(bob).get("/api/v1/teams/").json()["results"] == []
    assert api_client_for(bob).get(f"/api/v1/teams/{created.json()['id']}/").status_code == 404


def test_admins_rename_a_team_and_members_cannot(make_user, api_client_for):
    # given
    alice, admin, member = make_user(), make_user(), make_user()
    team = make_team(alice, (admin, "admin"), (member, "member"))
    # when
    renamed = api_client_for(admin).patch(f"/api/v1/teams/{team.pk}/", {"name": "Renamed"}, format="json")
    refused = api_client_for(member).patch(f"/api/v1/teams/{team.pk}/", {"name": "Mine"}, format="json")
    # then
    assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed"
    assert refused.status_code == 403
    assert "admin" in refused.json()["error"]["message"]


def test_deleting_a_team_hands_its_objects_to_the_owner_who_deletes_it(make_user, api_client_for):
    # given: bob moved his dataset into alice's team
    alice, bob, admin = make_user(), make_user(), make_user()
    team = make_team(alice, (bob, "member"), (admin, "admin"))
    dataset = Dataset.objects.create(owner=bob, name="corpus", team=team)
    # when: an admin may not delete it, the owner may
    refused = api_client_for(admin).delete(f"/api/v1/teams/{team.pk}/")
    deleted = api_client_for(alice).delete(f"/api/v1/teams/{team.pk}/")
    # then
    assert refused.status_code == 403
    assert deleted.status_code == 204
    assert access_get(Dataset, user=alice, pk=dataset.pk, action=Action.DELETE) == dataset
    assert api_client_for(bob).get(f"/api/v1/datasets/{dataset.pk}/").status_code == 404
    assert api_client_for(alice).get(f"/api/v1/teams/{team.pk}/").status_code == 404
    assert AuditEvent.objects.filter(action="team.delete", actor=alice, target_name="crew").exists()


def test_the_owner_hands_the_team_to_a_member_and_stays_as_admin(make_user, api_client_for):
    # given
    alice, bob, outsider = make_user(), make_user(), make_user()
    team = make_team(alice, (bob, "viewer"))
    client = api_client_for(alice)
    # when
    not_member = client.post(f"/api/v1/teams/{team.pk}/transfer/", {"user_id": outsider.pk}, format="json")
    by_viewer = api_client_for(bob).post(f"/api/v1/teams/{team.pk}/transfer/", {"user_id": bob.pk}, format="json")
    moved = client.post(f"/api/v1/teams/{team.pk}/transfer/", {"user_id": bob.pk}, format="json")
    # then
    assert not_member.status_code == 400 and "user_id" in not_member.json()["error"]["fields"]
    assert by_viewer.status_code == 403
    assert moved.status_code == 200
    assert (_role(team, bob), _role(team, alice)) == ("owner", "admin")


def test_the_last_owner_cannot_leave_but_a_member_can(make_user, api_client_for):
    # given
    alice, bob = make_user(), make_user()
    team = make_team(alice, (bob, "member"))
    # when
    refused = api_client_for(alice).post(f"/api/v1/teams/{team.pk}/leave/")
    left = api_client_for(bob).post(f"/api/v1/teams/{team.pk}/leave/")
    # then
    assert refused.status_code == 400
    assert "role" in refused.json()["error"]["fields"]
    assert "only owner" in refused.json()["error"]["message"]
    assert left.status_code == 204
    assert api_client_for(bob).get(f"/api/v1/teams/{team.pk}/").status_code == 404


def test_admins_manage_members_but_never_owners(make_user, api_client_for):
    # given
    alice, admin, member = make_user(), make_user(), make_user()
    team = make_team(alice, (admin, "admin"), (member, "member"))
    client = api_client_for(admin)
    members = f"/api/v1/teams/{team.pk}/members"
    # when
    promoted = client.patch(f"{members}/{member.pk}/", {"role": "admin"}, format="json")
    made_owner = client.patch(f"{members}/{member.pk}/", {"role": "owner"}, format="json")
    demote_owner = client.patch(f"{members}/{alice.pk}/", {"role": "member"}, format="json")
    remove_owner = client.delete(f"{members}/{alice.pk}/")
    unknown_role = client.patch(f"{members}/{member.pk}/", {"role": "superuser"}, format="json")
    removed = client.delete(f"{members}/{member.pk}/")
    # then
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    assert (made_owner.status_code, demote_owner.status_code, remove_owner.status_code) == (403, 403, 403)
    assert unknown_role.status_code == 400
    assert "'superuser' is not a role" in unknown_role.json()["error"]["fields"]["role"][0]
    assert removed.status_code == 204 and _role(team, member) is None
    assert _role(team, alice) == "owner"


def test_the_last_owner_cannot_be_demoted_or_removed(make_user, api_client_for):
    # given
    alice, bob = make_user(), make_user()
    team = make_team(alice, (bob, "member"))
    client = api_client_for(alice)
    # when
    demoted = client.patch(f"/api/v1/teams/{team.pk}/members/{alice.pk}/", {"role": "admin"}, format="json")
    removed = client.delete(f"/api/v1/teams/{team.pk}/members/{alice.pk}/")
    # then
    assert demoted.status_code == 400 and "role" in demoted.json()["error"]["fields"]
    assert removed.status_code == 400 and "user_id" in removed.json()["error"]["fields"]
    # and with a second owner, the first may step down
    client.patch(f"/api/v1/teams/{team.pk}/members/{bob.pk}/", {"role": "owner"}, format="json")
    stepped_down = client.patch(f"/api/v1/teams/{team.pk}/members/{alice.pk}/", {"role": "admin"}, format="json")
    assert stepped_down.status_code == 200 and _role(team, bob) == "owner"


def test_role_changes_are_audited_with_who_and_from_where(make_user, api_client_for):
    # given
    alice, bob = make_user(), make_user()
    team = make_team(alice, (bob, "member"))
    # when
    api_client_for(alice).patch(f"/api/v1/teams/{team.pk}/members/{bob.pk}/", {"role": "viewer"}, format="json",
                                REMOTE_ADDR="203.0.113.9")
    # then
    event = AuditEvent.objects.get(action="member.role")
    assert (event.actor, event.team, event.ip) == (alice, team, "203.0.113.9")
    assert event.details == {"member": bob.email, "from": "member", "to": "viewer"}
