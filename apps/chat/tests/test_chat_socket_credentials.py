"""The chat socket stops acting for a credential that ended: after logout or a token's
revocation the socket is closed with 4401, and a `send` that still reaches it (it crossed the
close) is refused and stores nothing; a token that expired, which sends no event, is caught by
the check every acting frame makes."""

from datetime import timedelta

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client
from django.utils import timezone

from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create
from apps.chat.models import Message
from sloughgpt_site.asgi import application

from .conftest import close_request_thread_connections
from .factories import conversation

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
BROWSER = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
PASSWORD = "correct horse battery"
CLOSED = {"type": "websocket.close", "code": 4401}


@pytest_asyncio.fixture(autouse=True)
async def _close_consumer_thread_connections():
    yield
    await sync_to_async(connections.close_all)()
    await sync_to_async(close_request_thread_connections, thread_sensitive=False)()


@sync_to_async
def _chat(make_user):
    user = make_user(password=PASSWORD)
    return user, conversation(user)


async def _open(chat_id, headers):
    socket = WebsocketCommunicator(application, f"/ws/chat/{chat_id}/", headers=[*BROWSER, *headers])
    connected, _ = await socket.connect()
    assert connected
    return socket


@sync_to_async
def _stored(chat_id) -> int:
    return Message.objects.filter(conversation_id=chat_id).count()


async def _send_is_refused(socket) -> bool:
    await socket.send_json_to({"type": "send", "content": "Are you still there?"})
    return await socket.receive_output(timeout=10) == CLOSED


async def test_after_logout_the_chat_socket_closes_and_a_late_send_is_not_stored(make_user):
    # given a chat socket opened with the browser session
    user, chat = await _chat(make_user)
    client = Client()
    await sync_to_async(client.post)("/accounts/login/", {"login": user.email, "password": PASSWORD})
    socket = await _open(chat.pk, [(b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())])
    # when
    await sync_to_async(client.post)("/accounts/logout/")
    # then
    assert await socket.receive_output(timeout=5) == CLOSED
    assert await _send_is_refused(socket)
    assert await _stored(chat.pk) == 0


async def test_after_revoking_its_token_the_chat_socket_closes_and_a_late_send_is_not_stored(
        make_user, api_client_for):
    # given
    user, chat = await _chat(make_user)
    created = await sync_to_async(api_token_create)(user=user, name="ws")
    socket = await _open(chat.pk, [(b"authorization", f"Bearer {created.secret}".encode())])
    # when
    client = await sync_to_async(api_client_for)(user)
    await sync_to_async(client.delete)(f"/api/v1/tokens/{created.token.pk}/")
    # then
    assert await socket.receive_output(timeout=5) == CLOSED
    assert await _send_is_refused(socket)
    assert await _stored(chat.pk) == 0


async def test_a_send_with_a_token_that_expired_is_refused(make_user):
    # given a socket whose token expired while it was open
    user, chat = await _chat(make_user)
    created = await sync_to_async(api_token_create)(user=user, name="ws")
    socket = await _open(chat.pk, [(b"authorization", f"Bearer {created.secret}".encode())])
    await sync_to_async(ApiToken.objects.filter(pk=created.token.pk).update)(
        expires_at=timezone.now() - timedelta(seconds=1))
    # when / then
    assert await _send_is_refused(socket)
    assert await _stored(chat.pk) == 0
