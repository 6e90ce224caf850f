"""Chat with what teams share: a member chats with a model shared with their team (REST and
/v1) in a conversation of their own, until the share is removed; a shared conversation is
read-only to the team."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from apps.accounts.services import api_token_create
from apps.chat import completions
from apps.chat.openai_errors import OpenAIError
from apps.teams.tests.factories import make_team, share

from .factories import conversation, model_version

pytestmark = pytest.mark.django_db
BASE = "/api/v1/chat/"


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    # The replies these tests ask for are queued, not generated: no worker runs here.
    monkeypatch.setattr("apps.chat.services.chat_reply_inference_task.delay", lambda *args, **kwargs: None)
    monkeypatch.setattr("apps.chat.completions.completion_inference_task.delay", lambda *args, **kwargs: None)


def _shared_model(make_user, role="member", name="team-poet"):
    owner, member = make_user(), make_user()
    version = model_version(owner, name, write_file=False)
    team = make_team(owner, (member, role))
    return owner, member, version, share(version.registered_model, team)


def test_a_member_chats_with_a_shared_model_until_the_share_is_removed(make_user, api_client_for):
    # given
    _, member, version, granted = _shared_model(make_user)
    client = api_client_for(member)
    created = client.post(f"{BASE}conversations/", {"model_version_id": version.pk}, format="json")
    url = f"{BASE}conversations/{created.json()['id']}/messages/"
    # when
    sent = client.post(url, {"content": "Hello"}, format="json")
    granted.delete()
    after = client.post(url, {"content": "Still there?"}, format="json")
    # then: the conversation is the member's own, and the model answers 404 once unshared
    assert created.status_code == 201 and created.json()["access_role"] == "owner"
    assert sent.status_code == 202
    assert after.status_code == 404
    assert str(version.pk) in after.json()["error"]["message"]
    assert client.post(f"{BASE}conversations/", {"model_version_id": version.pk},
                       format="json").status_code == 404


def test_a_shared_conversation_is_read_only_to_the_team(make_user, api_client_for):
    # given
    owner, member = make_user(), make_user()
    chat = conversation(owner, title="team-visible-chat")
    client = api_client_for(member)
    share(chat, make_team(owner, (member, "admin")), level="write")
    chat_url = f"{BASE}conversations/{chat.pk}/"
    # when
    read = client.get(chat_url)
    listed = client.get(f"{BASE}conversations/", {"scope": "shared"}).json()["results"]
    posted = client.post(f"{chat_url}messages/", {"content": "Hi"}, format="json")
    renamed = client.patch(chat_url, {"title": "mine now"}, format="json")
    deleted = client.delete(chat_url)
    # then: even a write share of an admin only reads a conversation
    assert read.status_code == 200 and read.json()["access_role"] == "read"
    assert [c["title"] for c in listed] == ["team-visible-chat"]
    assert (posted.status_code, renamed.status_code, deleted.status_code) == (403, 403, 403)
    assert client.get(f"{BASE}conversations/", {"scope": "mine"}).json()["results"] == []


def _models(token: str) -> list[dict]:
    response = async_to_sync(AsyncClient().get)("/v1/models", headers={"Authorization": f"Bearer {token}"})
    return response.json()["data"]


def test_the_openai_api_lists_and_serves_a_shared_model_until_unshared(make_user):
    # given
    _, member, version, granted = _shared_model(make_user, role="viewer")
    token = api_token_create(user=member, name="v1").secret
    start = {"user": member, "name": "team-poet", "prompt": {"prompt": "Hi"},
             "settings": {"max_tokens": 4}, "param": "prompt"}
    # when
    listed = _models(token)
    started = completions.completion_start(**start)
    granted.delete()
    with pytest.raises(OpenAIError) as unshared:
        completions.completion_start(**start)
    relisted = _models(token)
    # then
    assert {"id": "team-poet:1.0.0", "owned_by": "shared"}.items() <= listed[0].items()
    assert started
    assert unshared.value.status == 404 and unshared.value.code == "model_not_found"
    assert [m["id"] for m in relisted] == ["all-MiniLM-L6-v2"]
