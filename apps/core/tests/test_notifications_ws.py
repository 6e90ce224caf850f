"""The notifications WebSocket through the real ASGI stack and the Redis channel layer:
strangers and foreign origins are refused, and each user hears only their own events."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from apps.accounts.services import api_token_create
from apps.core.notifications import notify_user
from sloughgpt_site.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
ORIGIN = (b"origin", b"http://localhost")


def _communicator(headers=()):
    # Browsers send the page's Host with its Origin; the origin must be this host's.
    return WebsocketCommunicator(application, "/ws/notifications/",
                                 headers=[(b"host", b"localhost"), *headers])


async def _connect_with_token(user):
    created = await sync_to_async(api_token_create)(user=user, name="ws")
    auth = (b"authorization", f"Bearer {created.secret}".encode())
    communicator = _communicator([ORIGIN, auth])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


@sync_to_async
def _notify(user, event):
    with transaction.atomic():
        notify_user(user_id=user.pk, event=event)


async def test_anonymous_connection_is_refused():
    communicator = _communicator([ORIGIN])
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4401


async def test_foreign_origin_is_refused(make_user):
    # given
    user = await sync_to_async(make_user)()
    created = await sync_to_async(api_token_create)(user=user, name="ws")
    headers = [(b"origin", b"https://evil.example"), (b"authorization", f"Bearer {created.secret}".encode())]
    # when
    connected, _ = await _communicator(headers).connect()
    # then
    assert not connected


async def test_session_cookie_authenticates(make_user, client):
    # given
    user = await sync_to_async(make_user)()
    await sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    communicator = _communicator([ORIGIN, (b"cookie", cookie)])
    # when
    connected, _ = await communicator.connect()
    await communicator.send_json_to({"type": "ping"})
    # then
    assert connected
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.disconnect()


async def test_each_user_receives_only_their_own_events(make_user):
    # given
    alice, bob = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    alice_ws, bob_ws = await _connect_with_token(alice), await _connect_with_token(bob)
    # when
    await _notify(alice, {"type": "run.finished", "run": 1})
    # then
    assert await alice_ws.receive_json_from(timeout=5) == {"type": "run.finished", "run": 1}
    assert await bob_ws.receive_nothing(timeout=0.5)
    await alice_ws.disconnect()
    await bob_ws.disconnect()


async def test_revoked_token_cannot_connect(make_user):
    # given
    user = await sync_to_async(make_user)()
    created = await sync_to_async(api_token_create)(user=user, name="ws")
    from apps.accounts.services import api_token_revoke

    await sync_to_async(api_token_revoke)(user=user, token_id=created.token.pk)
    auth = (b"authorization", f"Bearer {created.secret}".encode())
    # when
    connected, code = await _communicator([ORIGIN, auth]).connect()
    # then
    assert not connected
    assert code == 4401
