"""Live chat events. Each conversation has the channel group `chat.<id>` that only its owner's
sockets join (consumers.ChatConsumer); the inference worker publishes the reply's deltas there.
OpenAI-compatible requests get their events on a per-request Redis list instead, which the
waiting HTTP response reads in order.

Workers publish many small events, so they go through one long-lived event loop per process
(one Redis connection) rather than a fresh loop per event; a reply's deltas go through the
relay on that loop (relay.py)."""

from __future__ import annotations

import asyncio
import json
import threading

from channels.layers import get_channel_layer

from . import redis_state

SEND_TIMEOUT_S = 10
REPLY_TTL_S = 300  # an unread reply list vanishes after this long


def chat_group(conversation_id: int) -> str:
    return f"chat.{int(conversation_id)}"


MESSAGE_FIELDS = ("id", "role", "content", "status", "finish_reason", "error", "notice",
                  "prompt_tokens", "completion_tokens", "ttft_ms", "tokens_per_s", "citations",
                  "feedback", "feedback_text")


def message_payload(message) -> dict:
    """A message as sockets and the REST API show it."""
    data = {name: getattr(message, name) for name in MESSAGE_FIELDS}
    data["created_at"] = message.created_at.isoformat()
    return data


class _LoopThread:
    """A daemon thread running an event loop that channel-layer sends are handed to."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, name="sloughgpt-chat-publish",
                                 daemon=True).start()
            return self._loop


_publisher = _LoopThread()


def publisher_loop() -> asyncio.AbstractEventLoop:
    """This process's event loop for channel-layer sends (started on first use)."""
    return _publisher.loop()


def publish_chat_events(conversation_id: int, events: list[dict]) -> None:
    """Send `events` (JSON-safe, each with a "type" for the client) to the conversation's
    sockets in order, as one channel-layer message. Blocks until Redis has them, so events
    from one thread arrive in the order sent."""
    send = get_channel_layer().group_send(
        chat_group(conversation_id), {"type": "chat.event", "events": events}
    )
    asyncio.run_coroutine_threadsafe(send, publisher_loop()).result(timeout=SEND_TIMEOUT_S)


def publish_chat_event(conversation_id: int, event: dict) -> None:
    publish_chat_events(conversation_id, [event])


# -- replies to OpenAI-compatible requests ------------------------------------------------------
def reply_key(request_id: str) -> str:
    return redis_state.key("reply", request_id)


def push_reply(request_id: str, event: dict) -> None:
    key = reply_key(request_id)
    pipe = redis_state.client().pipeline()
    pipe.rpush(key, json.dumps(event))
    pipe.expire(key, REPLY_TTL_S)
    pipe.execute()
