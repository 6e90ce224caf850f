"""Registered models shared with a team: viewers read them but may not rename or promote,
members with a write share export them, only the model's owners promote; lists say which
models are yours and cost the same number of queries however many are shared."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.registry.models import ModelVersion, RegisteredModel
from apps.teams.models import AuditEvent
from apps.teams.tests.factories import make_team, share

pytestmark = pytest.mark.django_db
MODELS = "/api/v1/models/"
VERSIONS = "/api/v1/model-versions/"


def _model(owner, name="shared-model"):
    model = RegisteredModel.objects.create(owner=owner, name=name)
    version = ModelVersion.objects.create(owner=owner, registered_model=model, major=1, minor=0, patch=0,
                                          source="starter", status="ready")
    return model, version


def test_a_viewer_reads_a_shared_model_but_may_not_rename_or_promote_it(make_user, api_client_for):
    # given
    owner, viewer = make_user(), make_user()
    model, version = _model(owner)
    share(model, make_team(owner, (viewer, "viewer")), level="write")
    client = api_client_for(viewer)
    # when
    listed = client.get(MODELS).json()["results"]
    detail = client.get(f"{VERSIONS}{version.pk}/")
    renamed = client.patch(f"{MODELS}{model.pk}/", {"name": "taken-over"}, format="json")
    promoted = client.post(f"{VERSIONS}{version.pk}/stage/", {"stage": "production"}, format="json")
    # then: a viewer of a team with write access still only reads
    assert [(m["name"], m["access_role"]) for m in listed] == [("shared-model", "read")]
    assert detail.status_code == 200 and detail.json()["access_role"] == "read"
    assert renamed.status_code == 403 and promoted.status_code == 403
    assert "does not allow" in promoted.json()["error"]["message"]
    model.refresh_from_db()
    version.refresh_from_db()
    assert (model.name, version.stage) == ("shared-model", "development")


def test_a_member_with_a_write_share_exports_but_only_the_team_admin_promotes(make_user, api_client_for):
    # given
    owner, member, admin = make_user(), make_user(), make_user()
    team = make_team(owner, (member, "member"), (admin, "admin"))
    model, version = _model(owner)
    model.team = team  # moved into the team's ownership
    model.save()
    other, other_version = _model(owner, name="write-shared")
    share(other, make_team(owner, (member, "member"), name="writers"), level="write")
    as_member, as_admin = api_client_for(member), api_client_for(admin)
    # when
    exported = as_member.post(f"{VERSIONS}{other_version.pk}/exports/", {"qtypes": ["Q8_0"]}, format="json")
    refused = as_member.post(f"{VERSIONS}{version.pk}/stage/", {"stage": "production"}, format="json")
    promoted = as_admin.post(f"{VERSIONS}{version.pk}/stage/", {"stage": "production"}, format="json")
    # then
    assert exported.status_code == 202
    assert [e["qtype"] for e in exported.json()] == ["Q8_0"]
    assert refused.status_code == 403
    assert promoted.status_code == 200 and promoted.json()["stage"] == "production"
    event = AuditEvent.objects.get(action="model.promote")
    assert (event.actor, event.team, event.target_id) == (admin, team, version.pk)


def test_scope_separates_yours_from_shared_with_you(make_user, api_client_for):
    # given
    owner, member = make_user(), make_user()
    _model(member, name="my-own")
    shared, _ = _model(owner, name="theirs")
    share(shared, make_team(owner, (member, "member")))
    client = api_client_for(member)
    # when
    mine = client.get(MODELS, {"scope": "mine"}).json()["results"]
    others = client.get(MODELS, {"scope": "shared"}).json()["results"]
    bad = client.get(MODELS, {"scope": "everything"})
    # then
    assert [m["name"] for m in mine] == ["my-own"]
    assert [m["name"] for m in others] == ["theirs"]
    assert bad.status_code == 400 and "scope" in bad.json()["error"]["fields"]


def _shared(owner, member, count: int, kind: str) -> str:
    """`count` shared models (or versions of one shared model), through two teams; the list's URL."""
    teams = [make_team(owner, (member, "member"), name=f"team-{i}") for i in range(2)]
    model, _ = _model(owner, name="first")
    for i in range(1, count):
        if kind == "versions":
            ModelVersion.objects.create(owner=owner, registered_model=model, major=1, minor=i, patch=0,
                                        source="starter", status="ready")
        else:
            share(_model(owner, name=f"shared-{i}")[0], teams[i % 2], level="write" if i % 2 else "read")
    share(model, teams[0])
    return f"{MODELS}{model.pk}/versions/" if kind == "versions" else MODELS


@pytest.mark.parametrize("kind", ["models", "versions"])
def test_lists_cost_the_same_queries_for_2_or_20_shared_objects(make_user, api_client_for, kind):
    # given
    counts = []
    for count in (2, 20):
        owner, member = make_user(), make_user()
        url = _shared(owner, member, count, kind)
        client = api_client_for(member)
        # when
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        # then
        assert response.json()["count"] == count
        counts.append(len(captured))
    assert counts[0] == counts[1]
