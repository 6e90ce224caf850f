"""The run's live socket through the real ASGI stack and Redis channel layer: the owner
hears ingested metrics; other users and unknown runs are refused with 4404."""

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections

from apps.accounts.services import api_token_create
from apps.experiments import services
from sloughgpt_site.asgi import application

from .factories import make_run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
ORIGIN = (b"origin", b"http://localhost")
HOST = (b"host", b"localhost")  # browsers send both; the origin must be the host's


@pytest_asyncio.fixture(autouse=True)
async def _close_consumer_thread_connections():
    # The consumer checks ownership on the shared sync thread; its persistent connection
    # would otherwise keep the test database from being dropped.
    yield
    await sync_to_async(connections.close_all)()


async def _socket(user, run_id):
    created = await sync_to_async(api_token_create)(user=user, name="ws")
    headers = [ORIGIN, HOST, (b"authorization", f"Bearer {created.secret}".encode())]
    return WebsocketCommunicator(application, f"/ws/runs/{run_id}/", headers=headers)


async def test_owner_receives_metrics_as_they_are_ingested(make_user):
    # given
    owner = await sync_to_async(make_user)()
    run = await sync_to_async(make_run)(owner)
    socket = await _socket(owner, run.pk)
    connected, _ = await socket.connect()
    points = [{"key": "loss", "value": 2.5, "step": 7, "timestamp": 12.0}]
    # when
    await sync_to_async(services.run_metrics_log)(user=owner, run_id=run.pk, metrics=points)
    # then
    assert connected
    assert await socket.receive_json_from(timeout=5) == {
        "type": "run.metrics",
        "run": run.pk,
        "points": points,
    }
    await socket.disconnect()


async def test_other_users_and_unknown_runs_are_refused(make_user):
    # given
    owner, intruder = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    run = await sync_to_async(make_run)(owner)
    # when
    foreign = await (await _socket(intruder, run.pk)).connect()
    unknown = await (await _socket(owner, run.pk + 1000)).connect()
    anonymous = await WebsocketCommunicator(
        application, f"/ws/runs/{run.pk}/", headers=[ORIGIN, HOST]
    ).connect()
    # then
    assert foreign == (False, 4404)
    assert unknown == (False, 4404)
    assert anonymous == (False, 4401)


async def test_a_team_member_watches_a_shared_run_until_the_share_is_removed(make_user):
    from apps.teams.tests.factories import make_team, share

    # given
    owner, viewer = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    run = await sync_to_async(make_run)(owner)
    team = await sync_to_async(make_team)(owner, (viewer, "viewer"))
    granted = await sync_to_async(share)(run.experiment, team)
    socket = await _socket(viewer, run.pk)
    connected, _ = await socket.connect()
    points = [{"key": "loss", "value": 1.5, "step": 3, "timestamp": 12.0}]
    # when
    await sync_to_async(services.run_metrics_log)(user=owner, run_id=run.pk, metrics=points)
    # then
    assert connected
    assert (await socket.receive_json_from(timeout=5))["points"] == points
    await socket.disconnect()
    # and once the share is gone, a new connection is refused
    await sync_to_async(granted.delete)()
    assert await (await _socket(viewer, run.pk)).connect() == (False, 4404)
