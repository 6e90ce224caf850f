"""Rules that keep teams from being a way around quotas and access: deleting a team hands what
it owned (and its stored bytes) to the owner who deletes it, one person owns a limited number
of teams, an invitation stops working once its sender may no longer send it, and who else an
object is shared with is shown only to those who may change its sharing."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import override_settings

from apps.datasets.models import Dataset
from apps.quotas.accounts import Account
from apps.quotas.storage import storage_used
from apps.registry.models import RegisteredModel
from apps.teams.models import AuditEvent, Invitation, Membership, Share, Team
from apps.teams.tests.factories import make_team, share
from apps.training.tests.factories import valid_dataset_version

pytestmark = pytest.mark.django_db
ACCEPT = "/api/v1/invitations/accept/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _invite(client, team, email, role="member"):
    return client.post(f"/api/v1/teams/{team.pk}/invitations/", {"email": email, "role": role}, format="json")


def _token() -> str:
    return re.search(r"http://testserver/invitations/(\S+)", mail.outbox[-1].body).group(1)


def test_deleting_a_team_hands_its_objects_and_their_bytes_to_the_deleting_owner(make_user, api_client_for):
    # given a team whose member (who then left) moved an uploaded dataset into it
    alice, bob = make_user(), make_user()
    team = make_team(alice, (bob, "member"))
    dataset = valid_dataset_version(bob).dataset
    api_client_for(bob).post(f"/api/v1/sharing/dataset/{dataset.pk}/move/", {"team_id": team.pk}, format="json")
    api_client_for(bob).post(f"/api/v1/teams/{team.pk}/leave/")
    stored = storage_used(Account(team_id=team.pk))
    # when the owner deletes the team
    deleted = api_client_for(alice).delete(f"/api/v1/teams/{team.pk}/")
    # then the dataset is the owner's, private, and its bytes count against the owner
    assert deleted.status_code == 204
    dataset.refresh_from_db()
    assert (dataset.owner, dataset.team) == (alice, None)
    assert stored > 0 and storage_used(Account(user_id=alice.pk)) == stored
    assert storage_used(Account(user_id=bob.pk)) == 0
    assert api_client_for(alice).get(f"/api/v1/datasets/{dataset.pk}/").json()["access_role"] == "owner"
    assert api_client_for(bob).get(f"/api/v1/datasets/{dataset.pk}/").status_code == 404


def test_deleting_a_team_is_refused_while_the_owner_has_an_object_of_the_same_name(make_user, api_client_for):
    # given
    alice, bob = make_user(), make_user()
    team = make_team(alice, (bob, "member"))
    RegisteredModel.objects.create(owner=alice, name="poet")
    RegisteredModel.objects.create(owner=bob, name="poet", team=team)
    # when
    refused = api_client_for(alice).delete(f"/api/v1/teams/{team.pk}/")
    # then
    assert refused.status_code == 409
    assert "You already have a model named 'poet'" in refused.json()["error"]["message"]
    assert Team.objects.filter(pk=team.pk).exists()


@override_settings(SLOUGHGPT_TEAMS_PER_USER=2)
def test_one_person_owns_at_most_the_configured_number_of_teams(make_user, api_client_for):
    # given alice owns two teams; bob owns two and is a member of one of alice's
    alice, bob = make_user(), make_user(email="bob@example.com")
    first = make_team(alice, (bob, "member"))
    make_team(alice)
    make_team(bob), make_team(bob)
    client = api_client_for(alice)
    # when
    created = client.post("/api/v1/teams/", {"name": "third"}, format="json")
    handed = client.post(f"/api/v1/teams/{first.pk}/transfer/", {"user_id": bob.pk}, format="json")
    _invite(client, make_team(make_user(), (alice, "owner")), "bob@example.com", "owner")
    accepted = api_client_for(bob).post(ACCEPT, {"token": _token()}, format="json")
    # then each is refused naming its field
    assert created.status_code == 400 and "already owns 2 teams" in created.json()["error"]["fields"]["name"][0]
    assert handed.status_code == 400 and "already owns 2 teams" in handed.json()["error"]["fields"]["user_id"][0]
    assert accepted.status_code == 400 and "already owns 2 teams" in accepted.json()["error"]["fields"]["token"][0]
    assert Membership.objects.filter(user=alice, role="owner").count() == 3  # the third was made by a factory


def test_removing_an_admin_revokes_the_invitations_they_sent(make_user, api_client_for):
    # given an admin invited someone as an admin, then was removed
    alice, admin, invited = make_user(), make_user(), make_user(email="new@example.com")
    team = make_team(alice, (admin, "admin"))
    assert _invite(api_client_for(admin), team, "new@example.com", "admin").status_code == 201
    token = _token()
    # when
    api_client_for(alice).delete(f"/api/v1/teams/{team.pk}/members/{admin.pk}/")
    answer = api_client_for(invited).post(ACCEPT, {"token": token}, format="json")
    # then
    assert answer.status_code == 410
    assert answer.json()["error"]["message"].startswith("This invitation was revoked")
    assert Invitation.objects.get().revoked_at is not None
    assert not Membership.objects.filter(team=team, user=invited).exists()


def test_demoting_an_admin_revokes_their_invitations_and_a_link_needs_a_sender_who_may_send_it(
        make_user, api_client_for):
    # given an admin invited two people, then was made a member
    alice, admin = make_user(), make_user()
    one, two = make_user(email="one@example.com"), make_user(email="two@example.com")
    team = make_team(alice, (admin, "admin"))
    _invite(api_client_for(admin), team, "one@example.com")
    first = _token()
    _invite(api_client_for(admin), team, "two@example.com")
    second = _token()
    api_client_for(alice).patch(f"/api/v1/teams/{team.pk}/members/{admin.pk}/", {"role": "member"}, format="json")
    # when the first link is un-revoked behind the service's back, and both are followed
    Invitation.objects.filter(email="one@example.com").update(revoked_at=None)
    via_stale = api_client_for(one).post(ACCEPT, {"token": first}, format="json")
    via_revoked = api_client_for(two).post(ACCEPT, {"token": second}, format="json")
    # then neither joins: the sender is no longer an admin
    assert via_stale.status_code == 410 and "can no longer invite" in via_stale.json()["error"]["message"]
    assert via_revoked.status_code == 410
    assert not Membership.objects.filter(team=team, user__in=[one, two]).exists()


def test_only_those_who_may_share_see_every_team_an_object_is_shared_with(make_user, api_client_for):
    # given alice's dataset shared with two teams; bob is in one of them only
    alice, bob = make_user(), make_user()
    readers, secret = make_team(alice, (bob, "admin"), name="Readers"), make_team(alice, name="Secret project")
    dataset = Dataset.objects.create(owner=alice, name="corpus")
    share(dataset, readers), share(dataset, secret)
    # when
    by_owner = api_client_for(alice).get(f"/api/v1/sharing/dataset/{dataset.pk}/").json()
    by_reader = api_client_for(bob).get(f"/api/v1/sharing/dataset/{dataset.pk}/").json()
    # then
    assert [s["team_name"] for s in by_owner["shares"]] == ["Readers", "Secret project"]
    assert [s["team_name"] for s in by_reader["shares"]] == ["Readers"]
    assert by_reader["owner_email"] == alice.email


def test_moving_an_object_into_a_team_it_was_shared_with_records_the_share_it_ends(make_user, api_client_for):
    # given alice's dataset shared with her team to read
    alice = make_user()
    team = make_team(alice)
    dataset = Dataset.objects.create(owner=alice, name="corpus")
    share(dataset, team)
    # when she moves it into that team
    api_client_for(alice).post(f"/api/v1/sharing/dataset/{dataset.pk}/move/", {"team_id": team.pk}, format="json")
    # then the share it no longer needs is gone, and the audit log says so
    ended = AuditEvent.objects.get(action="share.remove", team=team)
    assert (ended.target_id, ended.details["level"]) == (dataset.pk, "read")
    assert not Share.objects.filter(team=team).exists()
