"""Who opens which traces of a model version: its owners every user's (without other users'
chat message ids), anyone who may only read it their own requests' alone."""

from __future__ import annotations

import pytest

from apps.chat.models import Message
from apps.chat.tests.factories import conversation, model_version
from apps.monitoring.models import InferenceRecord
from apps.teams.models import Membership
from apps.teams.services import share_set, team_create

pytestmark = pytest.mark.django_db


def _reply_record(version, user) -> InferenceRecord:
    """A chat reply `user` got from `version`, and its record."""
    chat = conversation(user, version)
    reply = Message.objects.create(owner=user, conversation=chat, role="assistant", content="Hi.")
    return InferenceRecord.objects.create(model_version=version, user=user, source="chat", status="ok",
                                          message=reply, prompt_tokens=5, completion_tokens=7)


def _traces(client, version) -> dict[int, dict]:
    listed = client.get("/api/v1/monitoring/traces/", {"model_version": version.pk}).json()["results"]
    return {trace["id"]: trace for trace in listed}


def test_a_team_viewer_sees_only_their_own_traces_and_the_owner_sees_all(make_user, api_client_for):
    # given the owner's version shared read-only with a team whose viewer chatted with it too
    owner, viewer = make_user(), make_user()
    version = model_version(owner, write_file=False)
    team = team_create(user=owner, name="readers")
    Membership.objects.create(team=team, user=viewer, role="viewer")
    share_set(user=owner, kind="model", object_id=version.registered_model_id, team_id=team.pk, level="read")
    owners, viewers = _reply_record(version, owner), _reply_record(version, viewer)
    as_owner, as_viewer = api_client_for(owner), api_client_for(viewer)
    # when each lists the version's traces and opens the other's
    seen_by_viewer, seen_by_owner = _traces(as_viewer, version), _traces(as_owner, version)
    viewer_opens = as_viewer.get(f"/api/v1/monitoring/traces/{owners.pk}/")
    owner_opens = as_owner.get(f"/api/v1/monitoring/traces/{viewers.pk}/")
    # then the viewer sees their own request alone, with its message, and is refused the owner's
    assert list(seen_by_viewer) == [viewers.pk]
    assert seen_by_viewer[viewers.pk]["message"] == viewers.message_id
    assert viewer_opens.status_code == 403
    assert as_viewer.get("/api/v1/monitoring/traces/", {"message": owners.message_id}).json()["results"] == []
    # and the owner sees both, but never the viewer's message id
    assert set(seen_by_owner) == {owners.pk, viewers.pk}
    assert seen_by_owner[owners.pk]["message"] == owners.message_id
    assert seen_by_owner[viewers.pk]["message"] is None
    assert owner_opens.status_code == 200
    assert owner_opens.json()["message"] is None and owner_opens.json()["completion_tokens"] == 7
