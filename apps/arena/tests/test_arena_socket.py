"""The arena end to end: a "compare" on a conversation's socket streams two answers from a
real thread-pool inference worker, labelled A and B with the models hidden; a vote reveals
them and moves the leaderboard."""

from __future__ import annotations

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from django.db import connections

from apps.arena.models import BattleReply
from apps.arena.selectors import leaderboard
from apps.chat.tests.conftest import close_request_thread_connections
from apps.chat.tests.factories import conversation, model_version
from apps.chat.tests.test_chat_socket import _socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio, pytest.mark.worker,
              pytest.mark.slow, pytest.mark.usefixtures("inference_worker")]
TIMEOUT = 60  # the first answer of a module also loads the models


@pytest_asyncio.fixture(autouse=True)
async def _close_consumer_thread_connections():
    yield
    await sync_to_async(connections.close_all)()
    await sync_to_async(close_request_thread_connections, thread_sensitive=False)()


@sync_to_async
def _two_models_and_a_chat(make_user):
    user = make_user()
    one, two = model_version(user, "one"), model_version(user, "two")
    return user, one, two, conversation(user, one, max_tokens=6)


@sync_to_async
def _stored(battle_id) -> dict[str, str]:
    return {r.side: r.content for r in BattleReply.objects.filter(battle_id=battle_id)}


async def _events_until_both_done(socket) -> list[dict]:
    events, done = [], set()
    while done != {"a", "b"}:
        event = await socket.receive_json_from(timeout=TIMEOUT)
        assert event["type"] != "error", event
        events.append(event)
        if event["type"] == "battle_done":
            done.add(event["side"])
    return events


async def test_a_compare_streams_two_hidden_answers_and_a_vote_reveals_them(make_user):
    # given a conversation and two of the user's models
    user, one, two, chat = await _two_models_and_a_chat(make_user)
    socket = await _socket(user, chat.pk)
    # when the user compares them
    await socket.send_json_to({"type": "compare", "content": "Tell me a story",
                               "model_version_ids": [one.pk, two.pk]})
    events = await _events_until_both_done(socket)
    # then the battle is announced with hidden models, and each side streams then ends
    announced = events[0]
    assert announced["type"] == "battle"
    battle_id = announced["battle"]["id"]
    assert [s["model"] for s in announced["battle"]["sides"]] == [None, None]
    stored = await _stored(battle_id)
    for side in "ab":
        deltas = [e for e in events if e["type"] == "battle_delta" and e["side"] == side]
        done = next(e for e in events if e["type"] == "battle_done" and e["side"] == side)
        assert deltas and all(e["battle_id"] == battle_id for e in deltas)
        assert done["status"] == "done" and "".join(e["text"] for e in deltas) == done["content"]
        assert stored[side] == done["content"]
        assert not any(key in e for e in deltas + [done] for key in ("model", "model_version_id"))
    # when the user votes A
    await socket.send_json_to({"type": "vote", "battle_id": battle_id, "vote": "a"})
    reveal = await socket.receive_json_from(timeout=TIMEOUT)
    # then both models are revealed, and A's version leads the leaderboard
    assert reveal["type"] == "battle_reveal" and reveal["battle"]["vote"] == "a"
    revealed = {s["side"]: s["model"]["id"] for s in reveal["battle"]["sides"]}
    assert set(revealed.values()) == {one.pk, two.pk}
    board = await sync_to_async(leaderboard)(user=user)
    assert [row.model_version_id for row in board] == [revealed["a"], revealed["b"]]
    assert board[0].wins == 1 and board[1].losses == 1
    # and a second vote is refused
    await socket.send_json_to({"type": "vote", "battle_id": battle_id, "vote": "b"})
    refused = await socket.receive_json_from(timeout=TIMEOUT)
    assert refused["type"] == "error" and refused["code"] == "conflict"
    await socket.disconnect()
