"""Open sockets follow access changes, through the real ASGI stack and the Redis channel
layer: a member following a shared run or a shared conversation is closed with 4404 once the
share is removed or they leave the team, while the owner's socket stays open."""

from __future__ import annotations

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections

from apps.accounts.services import api_token_create
from apps.chat.tests.conftest import close_request_thread_connections
from apps.chat.tests.factories import conversation
from apps.experiments import services as experiment_services
from apps.experiments.tests.factories import make_run
from apps.teams import services
from apps.teams.tests.factories import make_team, share

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
HEADERS = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
TIMEOUT = 10


@pytest_asyncio.fixture(autouse=True)
async def _close_consumer_thread_connections():
    yield
    await sync_to_async(connections.close_all)()
    await sync_to_async(close_request_thread_connections, thread_sensitive=False)()


async def _open(user, path):
    from sloughgpt_site.asgi import application

    created = await sync_to_async(api_token_create)(user=user, name="ws")
    socket = WebsocketCommunicator(application, path,
                                   headers=[*HEADERS, (b"authorization", f"Bearer {created.secret}".encode())])
    connected, _ = await socket.connect()
    assert connected
    return socket


async def test_a_run_socket_closes_when_the_share_is_removed_and_the_owners_stays(make_user):
    # given bob follows alice's run, shared with his team
    alice, bob = await sync_to_async(make_user)(), await sync_to_async(make_user)()

    @sync_to_async
    def shared_run():
        run = make_run(alice)
        team = make_team(alice, (bob, "viewer"))
        share(run.experiment, team)
        return run, team

    run, team = await shared_run()
    bobs, alices = await _open(bob, f"/ws/runs/{run.pk}/"), await _open(alice, f"/ws/runs/{run.pk}/")
    # when alice takes the share back
    await sync_to_async(services.share_remove)(user=alice, kind="experiment", object_id=run.experiment_id,
                                               team_id=team.pk)
    # then bob's socket closes as for a run he cannot see; alice's still hears the run
    assert await bobs.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": 4404}
    points = [{"key": "loss", "value": 1.5, "step": 1, "timestamp": 1.0}]
    await sync_to_async(experiment_services.run_metrics_log)(user=alice, run_id=run.pk, metrics=points)
    assert (await alices.receive_json_from(timeout=TIMEOUT))["type"] == "run.metrics"
    await alices.disconnect()


async def test_a_conversation_socket_closes_when_the_follower_leaves_the_team(make_user):
    # given bob follows alice's conversation, shared with a team he is in
    alice, bob = await sync_to_async(make_user)(), await sync_to_async(make_user)()

    @sync_to_async
    def shared_chat():
        chat = conversation(alice)
        team = make_team(alice, (bob, "member"))
        share(chat, team)
        return chat, team

    chat, team = await shared_chat()
    bobs = await _open(bob, f"/ws/chat/{chat.pk}/")
    # when bob leaves the team
    await sync_to_async(services.team_leave)(user=bob, team_id=team.pk)
    # then
    assert await bobs.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": 4404}
