"""A neural personality version's live socket through the real ASGI stack and Redis channel
layer: its owner hears each epoch's loss and the final status as training runs; other users,
unknown versions and anonymous sockets are refused."""

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections

from apps.accounts.services import api_token_create
from apps.personalities import services
from sloughgpt_site.asgi import application

from .factories import CHEERFUL

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
ORIGIN = (b"origin", b"http://localhost")
HOST = (b"host", b"localhost")  # browsers send both; the origin must be the host's


@pytest_asyncio.fixture(autouse=True)
async def _close_consumer_thread_connections(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The consumer checks ownership on the shared sync thread; its persistent connection
    # would otherwise keep the test database from being dropped.
    yield
    await sync_to_async(connections.close_all)()


@sync_to_async
def _training_version(user, epochs: int = 2) -> int:
    # No worker runs here: the test trains the version itself, in this process.
    personality = services.personality_create_neural(
        user=user, name="Fan", examples=CHEERFUL[:10], epochs=epochs)
    return personality.current_version_id


async def _socket(user, version_id):
    created = await sync_to_async(api_token_create)(user=user, name="ws")
    headers = [ORIGIN, HOST, (b"authorization", f"Bearer {created.secret}".encode())]
    return WebsocketCommunicator(application, f"/ws/personality-versions/{version_id}/", headers=headers)


async def test_owner_hears_each_epochs_loss_and_the_final_status(make_user):
    # given
    owner = await sync_to_async(make_user)()
    version_id = await _training_version(owner)
    socket = await _socket(owner, version_id)
    connected, _ = await socket.connect()
    # when
    await sync_to_async(services.personality_version_train)(version_id=version_id)
    # then
    assert connected
    events = [await socket.receive_json_from(timeout=10) for _ in range(3)]
    first, second, done = events
    assert first["type"] == "personality_version.progress"
    assert (first["version"], first["epoch"], first["epochs"], first["progress"]) == (version_id, 1, 2, 0.5)
    assert (second["epoch"], second["progress"]) == (2, 1.0)
    assert isinstance(first["loss"], float)
    assert done == {"type": "personality_version.status", "version": version_id, "status": "ready", "error": ""}
    await socket.disconnect()


async def test_other_users_unknown_versions_and_anonymous_sockets_are_refused(make_user):
    # given
    owner, intruder = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    version_id = await _training_version(owner)
    # when
    foreign = await (await _socket(intruder, version_id)).connect()
    unknown = await (await _socket(owner, version_id + 1000)).connect()
    anonymous = await WebsocketCommunicator(
        application, f"/ws/personality-versions/{version_id}/", headers=[ORIGIN, HOST]
    ).connect()
    # then
    assert foreign == (False, 4404)
    assert unknown == (False, 4404)
    assert anonymous == (False, 4401)
