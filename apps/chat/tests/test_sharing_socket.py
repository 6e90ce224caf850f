"""The chat socket with what teams share: a member's own conversation with a shared model
takes sends until the share is removed, then the next send fails naming the model; a
conversation shared with the team can be followed but not acted in."""

from __future__ import annotations

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections

from apps.accounts.services import api_token_create
from apps.teams.tests.factories import make_team, share
from sloughgpt_site.asgi import application

from .conftest import close_request_thread_connections
from .factories import conversation, model_version

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
HEADERS = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
TIMEOUT = 30


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    # The replies asked for here are queued, not generated: no worker runs in these tests.
    monkeypatch.setattr("apps.chat.services.chat_reply_inference_task.delay", lambda *args, **kwargs: None)


@pytest_asyncio.fixture(autouse=True)
async def _close_consumer_thread_connections():
    yield
    await sync_to_async(connections.close_all)()
    await sync_to_async(close_request_thread_connections, thread_sensitive=False)()


async def _socket(user, conversation_id):
    created = await sync_to_async(api_token_create)(user=user, name="ws")
    headers = [*HEADERS, (b"authorization", f"Bearer {created.secret}".encode())]
    socket = WebsocketCommunicator(application, f"/ws/chat/{conversation_id}/", headers=headers)
    connected, _ = await socket.connect()
    assert connected
    return socket


async def _first(socket, *kinds: str) -> dict:
    while True:
        event = await socket.receive_json_from(timeout=TIMEOUT)
        if event["type"] in kinds:
            return event


@sync_to_async
def _member_chat_with_shared_model(make_user):
    owner, member = make_user(), make_user()
    version = model_version(owner, "team-poet", write_file=False)
    granted = share(version.registered_model, make_team(owner, (member, "viewer")))
    return member, conversation(member, version), granted


async def test_a_send_after_the_model_is_unshared_fails_naming_it(make_user):
    # given
    member, chat, granted = await _member_chat_with_shared_model(make_user)
    socket = await _socket(member, chat.pk)
    # when
    await socket.send_json_to({"type": "send", "content": "Hello"})
    sent = await _first(socket, "message", "error")
    await sync_to_async(granted.delete)()
    await socket.send_json_to({"type": "send", "content": "Still there?"})
    refused = await _first(socket, "error")
    await socket.disconnect()
    # then
    assert sent["type"] == "message" and sent["message"]["content"] == "Hello"
    assert refused["code"] == "not_found"
    assert refused["message"] == f"No model version with id {chat.model_version_id}."


async def test_a_shared_conversation_is_followed_but_not_acted_in(make_user):
    # given
    owner, member = await sync_to_async(make_user)(), await sync_to_async(make_user)()

    @sync_to_async
    def shared_chat():
        chat = conversation(owner)
        share(chat, make_team(owner, (member, "owner")), level="write")
        return chat

    chat = await shared_chat()
    socket = await _socket(member, chat.pk)
    # when
    answers = []
    for frame in ({"type": "send", "content": "Hi"}, {"type": "regenerate"}, {"type": "stop"}):
        await socket.send_json_to(frame)
        answers.append(await _first(socket, "error"))
    await socket.send_json_to({"type": "ping"})
    pong = await _first(socket, "pong")
    await socket.disconnect()
    # then
    assert [a["code"] for a in answers] == ["permission_denied"] * 3
    assert pong == {"type": "pong"}
