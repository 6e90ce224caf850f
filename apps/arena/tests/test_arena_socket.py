"""The arena end to end: a "compare" on a conversation's socket streams two answers from a
real thread-pool inference worker, labelled A and B with the models hidden; a vote reveals
them and moves the leaderboard."""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from django.db import connections

from apps.arena.models import Battle, BattleReply
from apps.arena.selectors import leaderboard
from apps.chat.models import Message
from apps.chat.tests.conftest import close_request_thread_connections
from apps.chat.tests.factories import conversation, model_version
from apps.chat.tests.test_chat_socket import _socket

from .factories import finished_battle

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


@sync_to_async
def _slow_models_and_a_chat(make_user):
    """Two models that take seconds for a long answer (as chat's stop test uses)."""
    user = make_user()
    one, two = (model_version(user, name, block_size=8192, width=256, layers=4) for name in ("s1", "s2"))
    return user, one, two, conversation(user, one, max_tokens=8000)


async def test_stop_ends_both_sides_of_a_running_comparison_keeping_what_they_wrote(make_user):
    # given a comparison whose answers would take 8000 tokens each
    user, one, two, chat = await _slow_models_and_a_chat(make_user)
    socket = await _socket(user, chat.pk)
    await socket.send_json_to({"type": "compare", "content": "Tell me a long story",
                               "model_version_ids": [one.pk, two.pk]})
    battle_id = (await socket.receive_json_from(timeout=TIMEOUT))["battle"]["id"]
    while (await socket.receive_json_from(timeout=TIMEOUT))["type"] != "battle_delta":
        pass
    # when the user stops it
    await socket.send_json_to({"type": "stop"})
    events = await _events_until_both_done(socket)
    # then both sides end stopped with what they had written, and a vote is taken
    done = {e["side"]: e for e in events if e["type"] == "battle_done"}
    assert {side: e["status"] for side, e in done.items()} == {"a": "stopped", "b": "stopped"}
    stored = await sync_to_async(lambda: {r.side: r for r in BattleReply.objects.filter(battle_id=battle_id)})()
    assert all(r.status == "stopped" and r.completion_tokens < 8000 for r in stored.values())
    assert {side: r.content for side, r in stored.items()} == {s: e["content"] for s, e in done.items()}
    await socket.send_json_to({"type": "vote", "battle_id": battle_id, "vote": "tie"})
    assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "battle_reveal"
    await socket.disconnect()


async def test_a_long_conversation_is_cut_to_fit_and_a_message_too_long_hides_the_models(make_user):
    # given two 256-token models and a conversation longer than that
    @sync_to_async
    def long_chat():
        user = make_user()
        one, two = model_version(user, "c1", block_size=256), model_version(user, "c2", block_size=256)
        chat = conversation(user, one, max_tokens=32)
        for turn in range(6):
            Message.objects.create(owner=user, conversation=chat, role="user",
                                   content=f"Question {turn}: " + "tell me about the sea " * 8)
            Message.objects.create(owner=user, conversation=chat, role="assistant",
                                   content="The ships and the sailors crossed it. " * 4)
        return user, one, two, chat

    user, one, two, chat = await long_chat()
    socket = await _socket(user, chat.pk)
    # when the user compares there
    await socket.send_json_to({"type": "compare", "content": "And the fox?",
                               "model_version_ids": [one.pk, two.pk]})
    events = await _events_until_both_done(socket)
    # then both answer, from the newest turns that fit
    assert [e["status"] for e in events if e["type"] == "battle_done"] == ["done", "done"]
    # when a message alone is longer than the models' context
    await socket.send_json_to({"type": "compare", "content": "Tell me about the sea " * 60,
                               "model_version_ids": [one.pk, two.pk]})
    events = await _events_until_both_done(socket)
    # then both fail saying only that, until the vote shows the full reason
    failed = [e for e in events if e["type"] == "battle_done"]
    assert [(e["status"], e["error"]) for e in failed] == [
        ("failed", "the conversation is too long for this model")] * 2
    await socket.send_json_to({"type": "vote", "battle_id": failed[0]["battle_id"], "vote": "both_bad"})
    reveal = await socket.receive_json_from(timeout=TIMEOUT)
    assert all("256-token context" in side["error"] for side in reveal["battle"]["sides"])
    await socket.disconnect()


async def test_malformed_compare_and_vote_frames_answer_an_error_and_keep_the_socket(make_user):
    # given
    user, one, two, chat = await _two_models_and_a_chat(make_user)
    socket = await _socket(user, chat.pk)
    frames = [
        {"type": "compare", "content": "Hi", "model_version_ids": one.pk},
        {"type": "compare", "content": "Hi", "model_version_ids": {"a": one.pk}},
        {"type": "compare", "content": "Hi", "model_version_ids": [True, two.pk]},
        {"type": "compare", "content": "Hi", "model_version_ids": [str(one.pk), str(two.pk)]},
        {"type": "compare", "content": "Hi", "model_version_ids": [2**70, two.pk]},
        {"type": "compare", "content": ["Hi"], "model_version_ids": [one.pk, two.pk]},
        {"type": "vote", "battle_id": True, "vote": "a"},
        {"type": "vote", "battle_id": "1", "vote": "a"},
        {"type": "vote", "battle_id": 2**70, "vote": "a"},
        {"type": "vote", "battle_id": [1], "vote": "a"},
    ]
    for frame in frames:
        # when
        await socket.send_json_to(frame)
        # then
        answer = await socket.receive_json_from(timeout=TIMEOUT)
        assert answer["type"] == "error" and answer["message"], (frame, answer)
    # and a vote "x" on a real battle is refused too
    battle = await sync_to_async(finished_battle)(user, one, two)
    await sync_to_async(Battle.objects.filter(pk=battle.pk).update)(conversation=chat)
    await socket.send_json_to({"type": "vote", "battle_id": battle.pk, "vote": "x"})
    refused = await socket.receive_json_from(timeout=TIMEOUT)
    assert refused["type"] == "error" and refused["code"] == "validation_error"
    await socket.send_json_to({"type": "ping"})
    assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "pong"
    assert await sync_to_async(lambda: Battle.objects.get(pk=battle.pk).vote)() == ""
    await socket.disconnect()


async def test_a_battle_of_another_conversation_cannot_be_voted_on_from_this_one(make_user):
    # given the user's battle in another conversation
    user, one, two, chat = await _two_models_and_a_chat(make_user)
    elsewhere = await sync_to_async(finished_battle)(user, one, two)
    socket = await _socket(user, chat.pk)
    # when
    await socket.send_json_to({"type": "vote", "battle_id": elsewhere.pk, "vote": "a"})
    # then
    refused = await socket.receive_json_from(timeout=TIMEOUT)
    assert refused["type"] == "error" and refused["code"] == "not_found"
    assert await sync_to_async(lambda: Battle.objects.get(pk=elsewhere.pk).vote)() == ""
    await socket.disconnect()


async def _reveal_and_answers(socket) -> list[dict]:
    """What the socket heard up to the battle's reveal, and its own answers after it (up to
    the answer to a ping, which comes after them)."""
    events = []
    while not events or events[-1]["type"] != "battle_reveal":
        events.append(await socket.receive_json_from(timeout=TIMEOUT))
    await socket.send_json_to({"type": "ping"})
    while (event := await socket.receive_json_from(timeout=TIMEOUT))["type"] != "pong":
        events.append(event)
    return events


async def test_two_votes_at_once_record_exactly_one(make_user):
    # given a finished battle open in two sockets
    user, one, two, chat = await _two_models_and_a_chat(make_user)
    battle = await sync_to_async(finished_battle)(user, one, two)
    await sync_to_async(Battle.objects.filter(pk=battle.pk).update)(conversation=chat)
    sockets = [await _socket(user, chat.pk) for _ in range(2)]
    # when both vote at once, differently
    await asyncio.gather(*(socket.send_json_to({"type": "vote", "battle_id": battle.pk, "vote": vote})
                           for socket, vote in zip(sockets, "ab", strict=True)))
    # then one vote is recorded and revealed to both; the other voter hears it was refused
    heard = [await _reveal_and_answers(socket) for socket in sockets]
    stored = await sync_to_async(lambda: Battle.objects.get(pk=battle.pk).vote)()
    for events, vote in zip(heard, "ab", strict=True):
        kinds = sorted(e["type"] if e["type"] != "error" else e["code"] for e in events)
        assert kinds == (["battle_reveal"] if vote == stored else ["battle_reveal", "conflict"])
        assert [e["battle"]["vote"] for e in events if e["type"] == "battle_reveal"] == [stored]
    for socket in sockets:
        await socket.disconnect()
