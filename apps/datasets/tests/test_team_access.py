"""Datasets through a team: members read what is shared with them, a viewer cannot change
it, a write share lets members add versions (theirs), and a removed share hides it again."""

from __future__ import annotations

import pytest

from apps.datasets.models import Dataset
from apps.teams.models import AuditEvent
from apps.teams.tests.factories import make_team, share

pytestmark = pytest.mark.django_db


def _url(dataset, suffix=""):
    return f"/api/v1/datasets/{dataset.pk}/{suffix}"


def test_a_viewer_reads_a_shared_dataset_but_cannot_rename_it(make_user, api_client_for):
    # given
    owner, viewer = make_user(), make_user()
    dataset = Dataset.objects.create(owner=owner, name="plays")
    share(dataset, make_team(owner, (viewer, "viewer")), level="write")
    client = api_client_for(viewer)
    # when
    shown = client.get(_url(dataset))
    renamed = client.patch(_url(dataset), {"name": "mine"}, format="json")
    # then
    assert shown.status_code == 200 and shown.json()["access_role"] == "read"
    assert renamed.status_code == 403
    assert Dataset.objects.get(pk=dataset.pk).name == "plays"


def test_a_member_adds_a_version_to_a_dataset_shared_for_writing(make_user, api_client_for):
    # given
    owner, member = make_user(), make_user()
    dataset = Dataset.objects.create(owner=owner, name="plays")
    share(dataset, make_team(owner, (member, "member")), level="write")
    # when
    response = api_client_for(member).generic("POST", _url(dataset, "versions/?filename=act1.txt"),
                                              b"to be or not to be\n", content_type="application/octet-stream")
    # then: the version is the member's, in the owner's dataset
    assert response.status_code == 201, response.content
    assert dataset.versions.get().owner == member


def test_lists_tell_yours_from_shared_with_you(make_user, api_client_for):
    # given
    owner, member = make_user(), make_user()
    share(Dataset.objects.create(owner=owner, name="theirs"), make_team(owner, (member, "member")))
    Dataset.objects.create(owner=member, name="mine")
    client = api_client_for(member)
    # when
    mine = client.get("/api/v1/datasets/?scope=mine").json()["results"]
    shared = client.get("/api/v1/datasets/?scope=shared").json()["results"]
    # then
    assert [(d["name"], d["access_role"]) for d in mine] == [("mine", "owner")]
    assert [(d["name"], d["access_role"]) for d in shared] == [("theirs", "read")]


def test_a_removed_share_hides_the_dataset_again(make_user, api_client_for):
    # given
    owner, member = make_user(), make_user()
    dataset = Dataset.objects.create(owner=owner, name="plays")
    granted = share(dataset, make_team(owner, (member, "member")))
    client = api_client_for(member)
    assert client.get(_url(dataset)).status_code == 200
    # when
    granted.delete()
    # then
    assert client.get(_url(dataset)).status_code == 404
    assert client.get("/api/v1/datasets/").json()["results"] == []


def test_a_team_admin_deletes_a_team_dataset_and_the_team_sees_it_in_the_audit_log(make_user, api_client_for):
    # given
    creator, admin = make_user(), make_user()
    team = make_team(creator, (admin, "admin"))
    dataset = Dataset.objects.create(owner=creator, name="old plays", team=team)
    # when
    response = api_client_for(admin).delete(_url(dataset))
    # then
    assert response.status_code == 204
    event = AuditEvent.objects.get(action="dataset.delete")
    assert (event.actor, event.team, event.target_name) == (admin, team, "old plays")
