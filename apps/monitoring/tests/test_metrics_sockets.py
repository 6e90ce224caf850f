"""Open WebSockets in /metrics, by consumer: counted from the accepted handshake until the
socket closes; a refused handshake is never counted."""

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from apps.accounts.services import api_token_create
from sloughgpt_site.asgi import application

from .scrape import scrape, value

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
HEADERS = [(b"host", b"localhost"), (b"origin", b"http://localhost")]
SERIES = "sloughgpt_websocket_connections"


@pytest_asyncio.fixture(autouse=True)
async def _close_socket_thread_connections():
    # Socket authentication reads on the shared sync thread; its connection would block the
    # test database's teardown.
    yield
    await sync_to_async(connections.close_all)()


@sync_to_async
def _open_notifications() -> float:
    return value(scrape(Client()), SERIES, consumer="NotificationsConsumer")


async def test_an_open_socket_is_counted_until_it_closes(make_user):
    # given a signed-in user and a stranger
    user = await sync_to_async(make_user)()
    created = await sync_to_async(api_token_create)(user=user, name="ws")
    before = await _open_notifications()
    # when the stranger is refused and the user connects
    stranger = WebsocketCommunicator(application, "/ws/notifications/", headers=HEADERS)
    refused, _ = await stranger.connect()
    socket = WebsocketCommunicator(application, "/ws/notifications/", headers=[
        *HEADERS, (b"authorization", f"Bearer {created.secret}".encode())])
    connected, _ = await socket.connect()
    while_open = await _open_notifications()
    await socket.disconnect()
    after = await _open_notifications()
    # then
    assert not refused and connected
    assert while_open == before + 1
    assert after == before
