"""Chat end to end: the socket, a real thread-pool inference worker and a tiny model. Replies
stream as deltas and are stored once; stop keeps what was made; regenerate and edit replace
later messages; a long history is cut with a visible notice; strangers are refused."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections

from apps.accounts.services import api_token_create
from apps.chat.models import Message
from apps.chat.relay import ChatRelay, chat_relay
from apps.quotas.tests.factories import override
from sloughgpt_site.asgi import application

from .conftest import close_request_thread_connections
from .factories import conversation, model_version

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio, pytest.mark.worker,
              pytest.mark.slow, pytest.mark.usefixtures("inference_worker")]
ORIGIN = (b"origin", b"http://localhost")
HOST = (b"host", b"localhost")  # browsers send both; the origin must be the host's
TIMEOUT = 60  # the first reply of a module also loads the model


@pytest_asyncio.fixture(autouse=True)
async def _close_consumer_thread_connections():
    # Socket authentication reads on the shared sync thread and the consumer on its request
    # threads; their connections would block the flush.
    yield
    await sync_to_async(connections.close_all)()
    await sync_to_async(close_request_thread_connections, thread_sensitive=False)()


@sync_to_async
def _chat(make_user, **fields):
    user = make_user()
    return user, conversation(user, model_version(user), **fields)


async def _socket(user, conversation_id):
    created = await sync_to_async(api_token_create)(user=user, name="ws")
    headers = [ORIGIN, HOST, (b"authorization", f"Bearer {created.secret}".encode())]
    socket = WebsocketCommunicator(application, f"/ws/chat/{conversation_id}/", headers=headers)
    connected, code = await socket.connect()
    return socket if connected else code


async def _until(socket, kind: str) -> list[dict]:
    """Every event up to and including the first of `kind`."""
    events = []
    while True:
        event = await socket.receive_json_from(timeout=TIMEOUT)
        events.append(event)
        if event["type"] in (kind, "error"):
            assert event["type"] == kind, event
            return events


@sync_to_async
def _messages(conversation_id):
    return list(Message.objects.filter(conversation_id=conversation_id).order_by("id"))


async def test_reply_streams_as_deltas_and_is_stored_once_with_its_timings(make_user):
    # given
    user, chat = await _chat(make_user, max_tokens=12)
    socket = await _socket(user, chat.pk)
    # when
    await socket.send_json_to({"type": "send", "content": "Tell me a story"})
    events = await _until(socket, "done")
    # then the user's message and the queued reply are announced first
    assert [e["message"]["role"] for e in events[:2]] == ["user", "assistant"]
    reply_id = events[1]["message"]["id"]
    deltas = [e for e in events if e["type"] == "delta"]
    done = events[-1]
    assert deltas and all(e["message_id"] == reply_id for e in deltas)
    assert done["usage"]["completion_tokens"] == 12 and done["finish_reason"] == "length"
    assert done["ttft_ms"] > 0 and done["tokens_per_s"] > 0
    # and the stored reply is exactly what streamed
    user_message, reply = await _messages(chat.pk)
    assert user_message.content == "Tell me a story"
    assert reply.pk == reply_id and reply.status == "done"
    assert reply.content == "".join(e["text"] for e in deltas) == done["content"]
    assert reply.completion_tokens == 12 and reply.ttft_ms == done["ttft_ms"]
    await socket.disconnect()


async def test_the_first_message_names_the_conversation_live(make_user):
    # given a new, untitled conversation
    user, chat = await _chat(make_user, max_tokens=2)
    socket = await _socket(user, chat.pk)
    # when two messages are sent
    await socket.send_json_to({"type": "send", "content": "  What is a\nsonnet?  "})
    first = await _until(socket, "done")
    await socket.send_json_to({"type": "send", "content": "And an ode?"})
    second = await _until(socket, "done")
    # then the sockets hear the title the first one gave it, once
    titles = [e for e in first + second if e["type"] == "title"]
    assert titles == [{"type": "title", "conversation_id": chat.pk, "title": "What is a sonnet?"}]
    await socket.disconnect()


@sync_to_async
def _slow_chat(make_user, **fields):
    """A conversation whose model takes seconds for a long reply: the default tiny model writes
    1,500 tokens in about 0.15 s, which a busy machine may spend carrying a stop to the worker."""
    user = make_user()
    version = model_version(user, "slow", block_size=8192, width=256, layers=4)
    return user, conversation(user, version, **fields)


async def test_stop_mid_stream_stores_the_partial_reply(make_user):
    # given a reply that would take 8000 tokens (about ten seconds here)
    user, chat = await _slow_chat(make_user, max_tokens=8000)
    socket = await _socket(user, chat.pk)
    await socket.send_json_to({"type": "send", "content": "Tell me a long story"})
    await _until(socket, "delta")
    # when
    await socket.send_json_to({"type": "stop"})
    events = await _until(socket, "done")
    # then
    done = events[-1]
    assert done["status"] == "stopped" and done["finish_reason"] == "cancelled"
    reply = (await _messages(chat.pk))[-1]
    assert reply.status == "stopped"
    assert 0 < reply.completion_tokens < 8000
    assert reply.content and reply.content == done["content"]
    await socket.disconnect()


async def test_regenerate_replaces_the_last_reply(make_user):
    # given a finished reply
    user, chat = await _chat(make_user, max_tokens=6, temperature=1.0)
    socket = await _socket(user, chat.pk)
    await socket.send_json_to({"type": "send", "content": "Hello there"})
    first = (await _until(socket, "done"))[-1]
    # when
    await socket.send_json_to({"type": "regenerate"})
    events = await _until(socket, "done")
    # then the old reply is removed and a new one answers the same message
    assert events[0] == {"type": "removed", "message_ids": [first["message_id"]]}
    messages = await _messages(chat.pk)
    assert [m.role for m in messages] == ["user", "assistant"]
    assert messages[1].pk == events[-1]["message_id"] != first["message_id"]
    await socket.disconnect()


async def test_edit_resends_and_drops_later_messages(make_user):
    # given two exchanges
    user, chat = await _chat(make_user, max_tokens=4)
    socket = await _socket(user, chat.pk)
    for text in ("First question", "Second question"):
        await socket.send_json_to({"type": "send", "content": text})
        await _until(socket, "done")
    first_question = (await _messages(chat.pk))[0]
    # when the first question is edited
    await socket.send_json_to({"type": "edit", "message_id": first_question.pk,
                               "content": "Better question"})
    events = await _until(socket, "done")
    # then
    assert len(events[0]["message_ids"]) == 3
    messages = await _messages(chat.pk)
    assert [(m.role, m.pk == first_question.pk) for m in messages] == [("user", True), ("assistant", False)]
    assert messages[0].content == "Better question" and messages[1].status == "done"
    await socket.disconnect()


async def test_a_history_longer_than_the_context_is_cut_with_a_visible_notice(make_user):
    # given a 256-token model and a long earlier exchange
    @sync_to_async
    def long_chat():
        user = make_user()
        chat = conversation(user, model_version(user, block_size=256), max_tokens=64)
        for turn in range(6):
            Message.objects.create(owner=user, conversation=chat, role="user",
                                   content=f"Question {turn}: " + "tell me about the sea " * 8)
            Message.objects.create(owner=user, conversation=chat, role="assistant",
                                   content="The ships and the sailors crossed it. " * 4)
        return user, chat

    user, chat = await long_chat()
    socket = await _socket(user, chat.pk)
    # when
    await socket.send_json_to({"type": "send", "content": "And the fox?"})
    events = await _until(socket, "done")
    # then
    notice = next(e for e in events if e["type"] == "notice")
    assert "earlier turns were left out" in notice["message"]
    assert "256-token context" in notice["message"]
    reply = (await _messages(chat.pk))[-1]
    assert reply.notice == notice["message"] == events[-1]["notice"]
    assert reply.prompt_tokens <= 256 - 64
    await socket.disconnect()


async def test_a_small_models_first_reply_fits_its_context_whatever_the_files_default(make_user):
    # given a freshly trained 64-token model whose file asks for 256-token replies
    @sync_to_async
    def small_chat():
        user = make_user()
        return user, conversation(user, model_version(user, block_size=64, max_tokens=256))

    user, chat = await small_chat()
    socket = await _socket(user, chat.pk)
    # when
    await socket.send_json_to({"type": "send", "content": "Hello there"})
    events = await _until(socket, "done")
    # then the reply runs to the end of the context instead of failing
    done = events[-1]
    assert done["status"] == "done" and done["finish_reason"] == "length"
    usage = done["usage"]
    assert usage["completion_tokens"] > 0 and usage["total_tokens"] == 64
    await socket.disconnect()


async def test_a_message_that_fills_a_small_context_fails_with_a_plain_reason(make_user):
    # given a 64-token model
    @sync_to_async
    def small_chat():
        user = make_user()
        return user, conversation(user, model_version(user, block_size=64, max_tokens=256))

    user, chat = await small_chat()
    socket = await _socket(user, chat.pk)
    # when the message alone is longer than the context
    await socket.send_json_to({"type": "send", "content": "Tell me about the sea " * 20})
    events = []
    while not events or events[-1]["type"] != "error":
        events.append(await socket.receive_json_from(timeout=TIMEOUT))
    # then the reply fails saying so, with no negative token count
    error = events[-1]["message"]
    assert "too long for this model" in error and "64-token context" in error
    assert "-" not in error.replace("64-token", "")
    await socket.disconnect()


async def test_other_users_unknown_and_anonymous_sockets_are_refused(make_user):
    # given
    owner, chat = await _chat(make_user)
    intruder = await sync_to_async(make_user)()
    # when
    foreign = await _socket(intruder, chat.pk)
    unknown = await _socket(owner, chat.pk + 1000)
    anonymous = await WebsocketCommunicator(application, f"/ws/chat/{chat.pk}/", headers=[ORIGIN, HOST]).connect()
    # then
    assert foreign == 4404 and unknown == 4404
    assert anonymous == (False, 4401)


async def test_quota_exhausted_is_an_error_event_with_the_reset_time(make_user):
    # given
    user, chat = await _chat(make_user)
    await database_sync_to_async(override)(user=user, chat_tokens_per_day=0)
    socket = await _socket(user, chat.pk)
    # when
    await socket.send_json_to({"type": "send", "content": "Hello"})
    event = await socket.receive_json_from(timeout=TIMEOUT)
    # then
    assert event["type"] == "error" and event["code"] == "quota_exceeded"
    assert "resets at" in event["message"] and event["retry_after"] > 0
    assert await _messages(chat.pk) == []
    await socket.disconnect()


async def test_a_busy_shared_database_thread_holds_back_neither_sends_nor_replies(make_user):
    # given a connected socket, and channels' shared database thread busy with other work
    user, chat = await _chat(make_user, max_tokens=8)
    socket = await _socket(user, chat.pk)
    release = threading.Event()
    busy = asyncio.ensure_future(sync_to_async(release.wait)())
    try:
        # when
        await socket.send_json_to({"type": "send", "content": "Tell me a story"})
        events = await _until(socket, "done")
    finally:
        release.set()
        await busy
    # then the whole reply streamed meanwhile
    assert [e["message"]["role"] for e in events[:2]] == ["user", "assistant"]
    assert events[-1]["usage"]["completion_tokens"] == 8
    await socket.disconnect()


async def test_relayed_text_reaches_the_socket_in_order_before_the_closing_event(make_user):
    # given a socket and a reply opened on this process's relay
    user, chat = await _chat(make_user)
    socket = await _socket(user, chat.pk)
    reply = chat_relay().open(conversation_id=chat.pk, message_id=1, stop_key="unused")
    # when a generating thread hands it text piece by piece, then closes it
    def generate():
        for piece in ("The ", "sea ", "was ", "calm."):
            reply.add_text(piece)
        reply.close([{"type": "done", "message_id": 1}])

    await sync_to_async(generate, thread_sensitive=False)()
    events = await _until(socket, "done")
    # then
    assert {e["type"] for e in events[:-1]} == {"delta"}
    assert "".join(e["text"] for e in events[:-1]) == "The sea was calm."
    await socket.disconnect()


async def test_many_open_replies_are_flushed_less_often_but_all_their_text_arrives(make_user):
    # given a relay flushing every 10 ms per open reply, at most 30 ms apart, and a socket
    user, chat = await _chat(make_user)
    socket = await _socket(user, chat.pk)
    relay = ChatRelay(0.01, 0.03)
    one = relay.open(conversation_id=chat.pk, message_id=1, stop_key="unused-1")
    # then one open reply is flushed every 10 ms
    assert relay._interval() == pytest.approx(0.01)
    others = [relay.open(conversation_id=chat.pk + 10_000 + i, message_id=10 + i,
                         stop_key=f"unused-{i}") for i in range(4)]
    # and five share one flush every 30 ms
    assert relay._interval() == pytest.approx(0.03)

    # when text keeps coming and every reply closes
    def generate():
        for piece in ("Waves ", "on ", "the ", "shore."):
            one.add_text(piece)
            time.sleep(0.005)
        one.close([{"type": "done", "message_id": 1}])
        for other in others:
            other.close([])

    await sync_to_async(generate, thread_sensitive=False)()
    events = await _until(socket, "done")
    # then nothing is lost or reordered
    assert "".join(e["text"] for e in events[:-1]) == "Waves on the shore."
    await socket.disconnect()
