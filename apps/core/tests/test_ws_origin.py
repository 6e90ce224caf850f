"""WebSocket origins are checked as Django's CSRF checks them: the page's scheme, host and
port must be the site's own (or listed in CSRF_TRUSTED_ORIGINS); a same-host page on another
port or scheme is refused, even with a valid session."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from sloughgpt_site.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
HOST = b"127.0.0.1:8000"  # where `make run` serves


async def _connect(cookie: bytes, origin: bytes, *, scheme: str = "ws"):
    headers = [(b"host", HOST), (b"origin", origin), (b"cookie", cookie)]
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
    communicator.scope["scheme"] = scheme
    connected, _ = await communicator.connect()
    if connected:
        await communicator.disconnect()
    return connected


async def test_the_sites_own_origin_is_accepted(make_user, client):
    # given
    cookie = await _cookie(make_user, client)
    # when / then
    assert await _connect(cookie, b"http://127.0.0.1:8000")


@pytest.mark.parametrize("origin", [b"http://127.0.0.1:9999", b"https://127.0.0.1",
                                    b"https://127.0.0.1:8000", b"http://127.0.0.1",
                                    b"http://evil.example:8000", b"null"])
async def test_another_port_scheme_or_host_is_refused(make_user, client, origin):
    # given
    cookie = await _cookie(make_user, client)
    # when / then
    assert not await _connect(cookie, origin)


async def test_a_socket_without_origin_is_refused(make_user, client):
    # given
    cookie = await _cookie(make_user, client)
    communicator = WebsocketCommunicator(application, "/ws/notifications/",
                                         headers=[(b"host", HOST), (b"cookie", cookie)])
    # when
    connected, _ = await communicator.connect()
    # then
    assert not connected


async def test_over_tls_the_https_origin_is_the_sites_own(make_user, client):
    # given
    cookie = await _cookie(make_user, client)
    # when / then
    assert await _connect(cookie, b"https://127.0.0.1:8000", scheme="wss")
    assert not await _connect(cookie, b"http://127.0.0.1:8000", scheme="wss")


async def test_a_trusted_origin_is_accepted(make_user, client, settings):
    # given the app served from another origin that the site trusts
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com"]
    cookie = await _cookie(make_user, client)
    # when / then
    assert await _connect(cookie, b"https://app.example.com")
    assert not await _connect(cookie, b"http://app.example.com")


@sync_to_async
def _cookie(make_user, client) -> bytes:
    client.force_login(make_user())
    return f"sessionid={client.cookies['sessionid'].value}".encode()
