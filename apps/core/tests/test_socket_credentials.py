"""A credential that ends closes the WebSockets it opened (4401), through the real ASGI stack
and the Redis channel layer: logout closes the session's sockets, a password change every
session's, revoking a token only that token's, deactivation all of the user's."""

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from apps.accounts.services import api_token_create
from sloughgpt_site.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
BROWSER = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
PASSWORD = "correct horse battery"
CLOSED = {"type": "websocket.close", "code": 4401}


@pytest_asyncio.fixture(autouse=True)
async def _close_thread_connections():
    # Sockets check credentials on channels' database thread; its connection would block the flush.
    yield
    await sync_to_async(connections.close_all)()


@sync_to_async
def _signed_in(user) -> Client:
    client = Client()
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    return client


async def _open(headers):
    socket = WebsocketCommunicator(application, "/ws/notifications/", headers=[*BROWSER, *headers])
    connected, _ = await socket.connect()
    assert connected
    return socket


async def _session_socket(client):
    return await _open([(b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())])


async def _token_socket(user):
    created = await sync_to_async(api_token_create)(user=user, name="ws")
    return await _open([(b"authorization", f"Bearer {created.secret}".encode())]), created.token


async def _still_open(socket) -> bool:
    await socket.send_json_to({"type": "ping"})
    answered = await socket.receive_output(timeout=5) == {"type": "websocket.send",
                                                          "text": '{"type": "pong"}'}
    return answered and await socket.receive_nothing(timeout=1)


async def test_logout_closes_the_sessions_sockets_only(make_user):
    # given one user signed in twice and holding a token
    user = await sync_to_async(make_user)(password=PASSWORD)
    leaving, staying = await _signed_in(user), await _signed_in(user)
    leaving_ws, staying_ws = await _session_socket(leaving), await _session_socket(staying)
    token_ws, _ = await _token_socket(user)
    # when
    await sync_to_async(leaving.post)("/accounts/logout/")
    # then
    assert await leaving_ws.receive_output(timeout=5) == CLOSED
    assert await _still_open(staying_ws)
    assert await _still_open(token_ws)


async def test_a_password_change_closes_every_session_socket_but_not_token_sockets(make_user):
    # given
    user = await sync_to_async(make_user)(password=PASSWORD)
    changing, elsewhere = await _signed_in(user), await _signed_in(user)
    changing_ws, elsewhere_ws = await _session_socket(changing), await _session_socket(elsewhere)
    token_ws, _ = await _token_socket(user)
    # when
    await sync_to_async(changing.post)("/accounts/password/change/", {
        "oldpassword": PASSWORD, "password1": "another-fine-passphrase",
        "password2": "another-fine-passphrase"})
    # then
    assert await changing_ws.receive_output(timeout=5) == CLOSED
    assert await elsewhere_ws.receive_output(timeout=5) == CLOSED
    assert await _still_open(token_ws)


async def test_revoking_a_token_closes_only_the_sockets_opened_with_it(make_user):
    # given
    user = await sync_to_async(make_user)(password=PASSWORD)
    client = await _signed_in(user)
    revoked_ws, revoked = await _token_socket(user)
    other_ws, _ = await _token_socket(user)
    session_ws = await _session_socket(client)
    # when
    response = await sync_to_async(client.delete)(f"/api/v1/tokens/{revoked.pk}/")
    # then
    assert response.status_code == 204
    assert await revoked_ws.receive_output(timeout=5) == CLOSED
    assert await _still_open(other_ws)
    assert await _still_open(session_ws)


async def test_deactivating_a_user_closes_all_their_sockets(make_user):
    # given
    user = await sync_to_async(make_user)(password=PASSWORD)
    bystander = await sync_to_async(make_user)(password=PASSWORD)
    session_ws = await _session_socket(await _signed_in(user))
    token_ws, _ = await _token_socket(user)
    bystander_ws, _ = await _token_socket(bystander)
    # when
    user.is_active = False
    await sync_to_async(user.save)()
    # then
    assert await session_ws.receive_output(timeout=5) == CLOSED
    assert await token_ws.receive_output(timeout=5) == CLOSED
    assert await _still_open(bystander_ws)
