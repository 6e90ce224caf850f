"""Invitations: an admin invites an address at a role, the mail carries a link that works
once, before it expires, for a user who verified that address."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from apps.teams.models import AuditEvent, Invitation, Membership
from apps.teams.tests.factories import make_team

pytestmark = pytest.mark.django_db


def _invite(client, team, email, role="member"):
    return client.post(f"/api/v1/teams/{team.pk}/invitations/", {"email": email, "role": role}, format="json")


def _token() -> str:
    link = re.search(r"http://testserver/invitations/(\S+)", mail.outbox[-1].body)
    return link.group(1)


def test_an_invited_user_follows_the_mailed_link_and_joins_at_the_role(make_user, api_client_for):
    # given
    alice, bob = make_user(), make_user(email="bob@example.com")
    team = make_team(alice, name="Night shift")
    # when
    sent = _invite(api_client_for(alice), team, "bob@example.com", "viewer")
    token = _token()
    preview = api_client_for(bob).post("/api/v1/invitations/preview/", {"token": token}, format="json")
    accepted = api_client_for(bob).post("/api/v1/invitations/accept/", {"token": token}, format="json")
    # then
    assert sent.status_code == 201
    message = mail.outbox[-1]
    assert message.to == ["bob@example.com"]
    assert "Night shift" in message.subject and alice.email in message.body and "viewer" in message.body
    assert preview.json() | {"expires_at": None} == {"team_name": "Night shift", "role": "viewer",
                                                      "email": "b***@example.com", "invited_by": alice.email,
                                                      "expires_at": None}
    assert accepted.status_code == 200 and accepted.json()["name"] == "Night shift"
    assert Membership.objects.get(team=team, user=bob).role == "viewer"
    # only the token's hash is stored
    assert Invitation.objects.get().token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert not Invitation.objects.filter(token_sha256=token).exists()
    assert AuditEvent.objects.filter(action="invitation.accept", actor=bob, team=team).exists()


@override_settings(SLOUGHGPT_INVITATION_TTL_DAYS=2)
def test_the_link_expires_after_the_configured_days(make_user, api_client_for):
    # given
    alice = make_user()
    team = make_team(alice)
    # when
    _invite(api_client_for(alice), team, "someone@example.com")
    # then
    expires_in = Invitation.objects.get().expires_at - timezone.now()
    assert timedelta(days=1, hours=23) < expires_in <= timedelta(days=2)


@pytest.mark.parametrize(("email", "role", "field", "message"), [
    ("not-an-address", "member", "email", "'not-an-address' is not a valid e-mail address."),
    ("member@example.com", "member", "email", "member@example.com is already a member of this team."),
    ("MEMBER@example.com", "member", "email", "MEMBER@example.com is already a member of this team."),
    ("pending@example.com", "member", "email", "An invitation to pending@example.com is already pending"),
    ("new@example.com", "wizard", "role", "'wizard' is not a role"),
])
def test_bad_invitations_are_refused_naming_the_field(make_user, api_client_for, email, role, field, message):
    # given
    alice = make_user()
    team = make_team(alice, (make_user(email="member@example.com"), "member"))
    client = api_client_for(alice)
    _invite(client, team, "pending@example.com")
    # when
    refused = _invite(client, team, email, role)
    # then
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"][field][0].startswith(message)
    assert Invitation.objects.count() == 1


def test_members_cannot_invite_and_admins_cannot_invite_owners(make_user, api_client_for):
    # given
    alice, admin, member = make_user(), make_user(), make_user()
    team = make_team(alice, (admin, "admin"), (member, "member"))
    # when
    by_member = _invite(api_client_for(member), team, "x@example.com")
    owner_by_admin = _invite(api_client_for(admin), team, "x@example.com", "owner")
    # then
    assert by_member.status_code == 403
    assert owner_by_admin.status_code == 400 and "role" in owner_by_admin.json()["error"]["fields"]
    assert mail.outbox == []


def test_a_used_link_says_so(make_user, api_client_for):
    # given
    alice, bob = make_user(), make_user(email="bob@example.com")
    _invite(api_client_for(alice), make_team(alice), "bob@example.com")
    token = _token()
    api_client_for(bob).post("/api/v1/invitations/accept/", {"token": token}, format="json")
    # when
    again = api_client_for(bob).post("/api/v1/invitations/accept/", {"token": token}, format="json")
    # then
    assert again.status_code == 410
    assert again.json()["error"]["message"] == "This invitation has already been used."


def test_an_expired_link_says_when_it_expired(make_user, api_client_for):
    # given
    alice, bob = make_user(), make_user(email="bob@example.com")
    _invite(api_client_for(alice), make_team(alice), "bob@example.com")
    expired = timezone.now() - timedelta(hours=1)
    Invitation.objects.update(expires_at=expired)
    # when
    answer = api_client_for(bob).post("/api/v1/invitations/accept/", {"token": _token()}, format="json")
    # then
    assert answer.status_code == 410
    assert f"This invitation expired on {expired:%Y-%m-%d %H:%M} UTC" in answer.json()["error"]["message"]
    assert not Membership.objects.filter(user=bob).exists()


def test_a_revoked_link_says_so_and_leaves_the_pending_list(make_user, api_client_for):
    # given
    alice, bob = make_user(), make_user(email="bob@example.com")
    team = make_team(alice)
    client = api_client_for(alice)
    invitation_id = _invite(client, team, "bob@example.com").json()["id"]
    assert [i["email"] for i in client.get(f"/api/v1/teams/{team.pk}/invitations/").json()["results"]] == [
        "bob@example.com"]
    # when
    revoked = client.delete(f"/api/v1/invitations/{invitation_id}/")
    answer = api_client_for(bob).post("/api/v1/invitations/accept/", {"token": _token()}, format="json")
    # then
    assert revoked.status_code == 204
    assert client.get(f"/api/v1/teams/{team.pk}/invitations/").json()["results"] == []
    assert answer.status_code == 410 and "revoked" in answer.json()["error"]["message"]


def test_another_address_cannot_accept_and_is_told_which_masked(make_user, api_client_for):
    # given
    alice, carol = make_user(), make_user(email="carol@example.com")
    _invite(api_client_for(alice), make_team(alice), "bob@example.com")
    # when
    answer = api_client_for(carol).post("/api/v1/invitations/accept/", {"token": _token()}, format="json")
    # then
    assert answer.status_code == 403
    assert "b***@example.com" in answer.json()["error"]["message"]
    assert "bob@example.com" not in answer.content.decode()


def test_an_unverified_address_cannot_accept(make_user, api_client_for):
    # given
    alice, bob = make_user(), make_user(email="bob@example.com")
    EmailAddress.objects.filter(user=bob).update(verified=False)
    _invite(api_client_for(alice), make_team(alice), "bob@example.com")
    # when
    answer = api_client_for(bob).post("/api/v1/invitations/accept/", {"token": _token()}, format="json")
    # then
    assert answer.status_code == 403 and "verified" in answer.json()["error"]["message"]


def test_a_made_up_token_is_not_found(make_user, api_client_for):
    # given
    bob = make_user()
    # when
    answer = api_client_for(bob).post("/api/v1/invitations/preview/", {"token": "made-up"}, format="json")
    # then
    assert answer.status_code == 404
