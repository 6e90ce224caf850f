"""Sharing through the API: who can see an object, sharing it with a team at a level,
taking the share back, and moving it into (and out of) a team's ownership."""

from __future__ import annotations

import pytest

from apps.chat.tests.factories import conversation, model_version
from apps.datasets.models import Dataset
from apps.teams.models import AuditEvent, Share
from apps.teams.tests.factories import make_team, share

pytestmark = pytest.mark.django_db


def _url(obj_id, rest="", kind="dataset"):
    return f"/api/v1/sharing/{kind}/{obj_id}/{rest}"


def test_the_owner_shares_with_a_team_and_its_members_see_who_can_see_it(make_user, api_client_for):
    # given
    alice, bob, outsider = make_user(), make_user(), make_user()
    team = make_team(alice, (bob, "member"), name="Readers")
    dataset = Dataset.objects.create(owner=alice, name="corpus")
    # when
    shared = api_client_for(alice).post(_url(dataset.pk, "shares/"), {"team_id": team.pk, "level": "read"},
                                        format="json", REMOTE_ADDR="198.51.100.4")
    seen = api_client_for(bob).get(_url(dataset.pk))
    # then
    assert shared.status_code == 201
    assert seen.status_code == 200
    body = seen.json()
    assert (body["name"], body["owner_email"], body["team_id"], body["access_role"]) == (
        "corpus", alice.email, None, "read")
    assert [(s["team_name"], s["level"]) for s in body["shares"]] == [("Readers", "read")]
    assert api_client_for(outsider).get(_url(dataset.pk)).status_code == 404
    event = AuditEvent.objects.get(action="share.set")
    assert (event.actor, event.team, event.ip, event.target_name) == (alice, team, "198.51.100.4", str(dataset))


def test_sharing_again_changes_the_level(make_user, api_client_for):
    # given
    alice = make_user()
    team = make_team(alice)
    dataset = Dataset.objects.create(owner=alice, name="corpus")
    client = api_client_for(alice)
    client.post(_url(dataset.pk, "shares/"), {"team_id": team.pk, "level": "read"}, format="json")
    # when
    client.post(_url(dataset.pk, "shares/"), {"team_id": team.pk, "level": "write"}, format="json")
    # then
    assert list(Share.objects.values_list("level", flat=True)) == ["write"]


def test_someone_it_is_shared_with_cannot_share_it_further(make_user, api_client_for):
    # given
    alice, bob = make_user(), make_user()
    team = make_team(alice, (bob, "admin"))
    bobs_team = make_team(bob, name="Bob's")
    dataset = Dataset.objects.create(owner=alice, name="corpus")
    share(dataset, team, "write")
    # when
    answer = api_client_for(bob).post(_url(dataset.pk, "shares/"), {"team_id": bobs_team.pk, "level": "read"},
                                      format="json")
    # then
    assert answer.status_code == 403
    assert not Share.objects.filter(team=bobs_team).exists()


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"level": "admin"}, "level", "'admin' is not a share level"),
    ({"team_id": 999999}, "team_id", "You are not a member of team 999999."),
    ({"team_id": "other"}, "team_id", "You are not a member of team"),
])
def test_bad_shares_are_refused_naming_the_field(make_user, api_client_for, body, field, message):
    # given
    alice, bob = make_user(), make_user()
    mine, other = make_team(alice), make_team(bob, name="not mine")
    dataset = Dataset.objects.create(owner=alice, name="corpus")
    body = {"team_id": mine.pk, "level": "read"} | body
    if body["team_id"] == "other":
        body["team_id"] = other.pk
    # when
    answer = api_client_for(alice).post(_url(dataset.pk, "shares/"), body, format="json")
    # then
    assert answer.status_code == 400
    assert answer.json()["error"]["fields"][field][0].startswith(message)


def test_a_conversation_is_shared_to_read_only(make_user, api_client_for):
    # given
    alice = make_user()
    team = make_team(alice)
    chat = conversation(alice, model_version(alice, name="tiny", write_file=False), title="hello")
    client = api_client_for(alice)
    # when
    write = client.post(_url(chat.pk, "shares/", "conversation"), {"team_id": team.pk, "level": "write"},
                        format="json")
    read = client.post(_url(chat.pk, "shares/", "conversation"), {"team_id": team.pk, "level": "read"},
                       format="json")
    moved = client.post(_url(chat.pk, "move/", "conversation"), {"team_id": team.pk}, format="json")
    # then
    assert write.status_code == 400 and "level" in write.json()["error"]["fields"]
    assert read.status_code == 201 and read.json()["name"] == "hello"
    assert moved.status_code == 400 and "team_id" in moved.json()["error"]["fields"]


def test_taking_a_share_back_hides_the_object_from_the_team(make_user, api_client_for):
    # given
    alice, bob = make_user(), make_user()
    team = make_team(alice, (bob, "member"))
    dataset = Dataset.objects.create(owner=alice, name="corpus")
    share(dataset, team)
    # when
    removed = api_client_for(alice).delete(_url(dataset.pk, f"shares/{team.pk}/"))
    again = api_client_for(alice).delete(_url(dataset.pk, f"shares/{team.pk}/"))
    # then
    assert removed.status_code == 204 and again.status_code == 404
    assert api_client_for(bob).get(_url(dataset.pk)).status_code == 404
    assert AuditEvent.objects.filter(action="share.remove", team=team).exists()


def test_moving_into_a_team_and_back_to_private(make_user, api_client_for):
    # given
    alice, admin, member = make_user(), make_user(), make_user()
    team = make_team(alice, (admin, "admin"), (member, "member"), name="Owners")
    dataset = Dataset.objects.create(owner=member, name="corpus")
    # when: the member moves their dataset into the team
    moved = api_client_for(member).post(_url(dataset.pk, "move/"), {"team_id": team.pk}, format="json")
    # then the team owns it; its creator reaches it as a member, who cannot take it back
    assert moved.status_code == 200
    assert (moved.json()["team_name"], moved.json()["owner_email"], moved.json()["access_role"]) == (
        "Owners", None, "team_member")
    back_by_member = api_client_for(member).post(_url(dataset.pk, "move/"), {"team_id": None}, format="json")
    assert back_by_member.status_code == 403
    # when: an admin takes it out of the team, it becomes theirs
    back = api_client_for(admin).post(_url(dataset.pk, "move/"), {"team_id": None}, format="json")
    assert back.status_code == 200
    assert (back.json()["owner_email"], back.json()["team_id"], back.json()["access_role"]) == (
        admin.email, None, "owner")
    assert api_client_for(member).get(_url(dataset.pk)).status_code == 404
    assert AuditEvent.objects.filter(action="object.move", team=team).count() == 2


def test_a_viewer_cannot_move_objects_into_their_team(make_user, api_client_for):
    # given
    alice, viewer = make_user(), make_user()
    team = make_team(alice, (viewer, "viewer"))
    dataset = Dataset.objects.create(owner=viewer, name="corpus")
    # when
    answer = api_client_for(viewer).post(_url(dataset.pk, "move/"), {"team_id": team.pk}, format="json")
    # then
    assert answer.status_code == 400
    assert "you are a viewer" in answer.json()["error"]["fields"]["team_id"][0]
    assert Dataset.objects.get().team is None


def test_an_unknown_kind_is_not_found(make_user, api_client_for):
    # given
    alice = make_user()
    # when
    answer = api_client_for(alice).get("/api/v1/sharing/token/1/")
    # then
    assert answer.status_code == 404
    assert "the kinds are dataset, experiment, model" in answer.json()["error"]["message"]
