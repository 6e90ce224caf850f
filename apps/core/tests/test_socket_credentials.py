"""A credential that ends closes the WebSockets it opened (4401), through the real ASGI stack
and the Redis channel layer: logout closes the session's sockets, a password change every
session's, revoking or deleting a token (by the API, the admin or a bulk update) only that
token's, deactivation all of the user's, and a token's expiry, which sends no event, the
sockets opened with it. A credential that ends while the socket is being opened refuses it,
and a secret-key rotation signs no one out."""

from datetime import timedelta

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client
from django.utils import timezone

from apps.accounts.models import ApiToken, User
from apps.accounts.services import api_token_create
from apps.core.consumers import NotificationsConsumer
from apps.core.notifications import notify_user
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


def _socket(headers):
    return WebsocketCommunicator(application, "/ws/notifications/", headers=[*BROWSER, *headers])


async def _open(headers):
    socket = _socket(headers)
    connected, _ = await socket.connect()
    assert connected
    return socket


def _cookie(client):
    return [(b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


async def _session_socket(client):
    return await _open(_cookie(client))


async def _token_socket(user, *, expires_at=None):
    created = await sync_to_async(api_token_create)(user=user, name="ws")
    if expires_at is not None:
        await sync_to_async(ApiToken.objects.filter(pk=created.token.pk).update)(
            expires_at=expires_at)
    return await _open([(b"authorization", f"Bearer {created.secret}".encode())]), created.token


async def _still_open(socket, user) -> bool:
    """Whether the socket is open after every credential event sent so far: a notification
    sent now reaches it through the same channel layer behind them, so the next frame is that
    notification, or the close one of them caused."""
    await sync_to_async(notify_user)(user_id=user.pk, event={"type": "marker"})
    return await socket.receive_output(timeout=5) == {"type": "websocket.send",
                                                      "text": '{"type": "marker"}'}


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
    assert await _still_open(staying_ws, user)
    assert await _still_open(token_ws, user)


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
    assert await _still_open(token_ws, user)


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
    assert await _still_open(other_ws, user)
    assert await _still_open(session_ws, user)


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
    assert await _still_open(bystander_ws, bystander)


@sync_to_async
def _revoke_in_the_admin(token):
    admin = Client()
    admin.force_login(_staff())
    response = admin.post(f"/admin/accounts/apitoken/{token.pk}/change/", {
        "owner": token.owner_id, "name": token.name, "expires_at_0": "", "expires_at_1": "",
        "revoked_at_0": timezone.now().date().isoformat(), "revoked_at_1": "00:00:00"})
    assert response.status_code == 302  # saved


@sync_to_async
def _delete_in_the_admin(token):
    admin = Client()
    admin.force_login(_staff())
    response = admin.post(f"/admin/accounts/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302  # deleted


@sync_to_async
def _revoke_in_bulk(token):
    ApiToken.objects.filter(prefix__in=[token.prefix]).update(revoked_at=timezone.now())


def _staff():
    return User.objects.create_user(email="staff@example.com", password=PASSWORD, is_staff=True,
                                    is_superuser=True)


@pytest.mark.parametrize("end", [_revoke_in_the_admin, _delete_in_the_admin, _revoke_in_bulk],
                         ids=["revoked in the admin", "deleted in the admin", "revoked in bulk"])
async def test_a_token_ended_outside_the_api_closes_its_sockets(make_user, end):
    # given
    user = await sync_to_async(make_user)(password=PASSWORD)
    ended_ws, ended = await _token_socket(user)
    other_ws, _ = await _token_socket(user)
    # when
    await end(ended)
    # then
    assert await ended_ws.receive_output(timeout=5) == CLOSED
    assert await _still_open(other_ws, user)


async def test_a_token_that_expires_closes_its_sockets_when_it_does(make_user):
    # given a socket opened with a token that expires in a moment
    user = await sync_to_async(make_user)(password=PASSWORD)
    expiring_ws, _ = await _token_socket(user, expires_at=timezone.now() + timedelta(seconds=3))
    lasting_ws, _ = await _token_socket(user, expires_at=timezone.now() + timedelta(days=1))
    # when it expires, with no event of any kind, then
    assert await expiring_ws.receive_output(timeout=10) == CLOSED
    assert await _still_open(lasting_ws, user)


async def test_a_logout_while_the_socket_opens_refuses_it(make_user, monkeypatch):
    # given a browser that signs out after the socket's handshake was authenticated
    user = await sync_to_async(make_user)(password=PASSWORD)
    client = await _signed_in(user)
    join = NotificationsConsumer.group_for

    async def sign_out_then_join(consumer, joining):
        await sync_to_async(client.post)("/accounts/logout/")
        return await join(consumer, joining)

    monkeypatch.setattr(NotificationsConsumer, "group_for", sign_out_then_join)
    # when
    connected, code = await _socket(_cookie(client)).connect()
    # then
    assert (connected, code) == (False, 4401)


async def test_a_secret_key_rotation_signs_no_browser_out(make_user, settings):
    # given a signed-in browser with a socket
    user = await sync_to_async(make_user)(password=PASSWORD)
    client = await _signed_in(user)
    socket = await _session_socket(client)
    # when the key rotates, the old one kept as a fallback, and the user changes (their
    # sockets check their credentials again)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    user.first_name = "Ada"
    await sync_to_async(user.save)()
    # then
    assert await _still_open(socket, user)
    assert (await sync_to_async(client.get)("/api/v1/me/")).status_code == 200
