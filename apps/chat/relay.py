"""The inference worker's relay: one per process, it streams every running chat reply to its
conversation's sockets. Generating threads only hand it text, never waiting on Redis; it sends
a reply's first text at once, then the text all replies made meanwhile, together (one
channel-layer message per conversation), and reads every reply's stop flag with one Redis call
per flush. Flushes come every SLOUGHGPT_CHAT_FLUSH_MS per open reply, at most
SLOUGHGPT_CHAT_FLUSH_MAX_MS apart: one reply gets 25 updates a second, and eight share the CPU
with the model without eight times the sends (each of eight replies runs at about a tenth of
one's token rate, so a longer batch holds no more text). It runs on the process's publishing
event loop (realtime.py), only while some reply is open."""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from concurrent.futures import Future

import redis.asyncio
from channels.layers import get_channel_layer

from . import redis_state
from .conf import setting
from .realtime import SEND_TIMEOUT_S, chat_group, publisher_loop

logger = logging.getLogger(__name__)


class Reply:
    """One reply being relayed. Its generating thread calls `add_text` per token and reads
    `stop_requested`; `close` ends it."""

    def __init__(self, relay: ChatRelay, *, conversation_id: int, label: dict, stop_key: str):
        self._relay = relay
        # The fields that name the reply in each of its text events ({"type": "delta",
        # "message_id": ...} for a chat reply), before its "text".
        self.conversation_id, self.label, self.stop_key = conversation_id, label, stop_key
        self.stop_requested = False  # set by the relay once the stop flag is seen
        # Guarded by the relay's lock:
        self.pending = ""  # text not sent yet
        self.started = False  # some text was sent (or taken for sending)
        self.final: list[dict] | None = None  # the events that end the reply, once closing
        self.sent: Future = Future()  # done when the final events are in Redis

    def add_text(self, text: str) -> None:
        self._relay.add_text(self, text)

    def close(self, events: list[dict]) -> None:
        """Send the pending text, then `events`; returns once Redis has them."""
        self._relay.close(self, events)


class ChatRelay:
    def __init__(self, interval_s: float, max_interval_s: float):
        self.interval_s, self.max_interval_s = interval_s, max_interval_s
        self._lock = threading.Lock()
        self._replies: list[Reply] = []
        self._running = False  # a relay task is on the loop
        self._wake: asyncio.Event | None = None  # loop side: something must go out now
        self._redis: redis.asyncio.Redis | None = None  # loop side

    def open(self, *, conversation_id: int, stop_key: str, message_id: int | None = None,
             label: dict | None = None) -> Reply:
        """Relay a chat reply (`message_id`), or other text named by `label` (an arena
        battle's side), to the conversation's sockets."""
        label = label or {"type": "delta", "message_id": message_id}
        reply = Reply(self, conversation_id=conversation_id, label=label, stop_key=stop_key)
        with self._lock:
            self._replies.append(reply)
            start, self._running = not self._running, True
        if start:
            asyncio.run_coroutine_threadsafe(self._run(), publisher_loop())
        return reply

    def add_text(self, reply: Reply, text: str) -> None:
        if not text:
            return
        with self._lock:
            first = not reply.started and not reply.pending
            reply.pending += text
        if first:  # the time to first token is what users wait on: do not batch it
            self._poke()

    def close(self, reply: Reply, events: list[dict]) -> None:
        with self._lock:
            reply.final = list(events)
        self._poke()
        reply.sent.result(timeout=SEND_TIMEOUT_S)

    def _poke(self) -> None:
        publisher_loop().call_soon_threadsafe(self._wake_up)

    def _wake_up(self) -> None:
        if self._wake is not None:
            self._wake.set()

    # -- on the loop -----------------------------------------------------------------------
    async def _run(self) -> None:
        try:
            await self._relay_until_idle()
        except Exception:  # the next open starts it again
            logger.exception("the chat relay stopped")
            with self._lock:
                self._running = False

    async def _relay_until_idle(self) -> None:
        self._wake = asyncio.Event()
        if self._redis is None:
            self._redis = redis.asyncio.Redis.from_url(redis_state.redis_url())
        while True:
            if not self._urgent():
                try:
                    await asyncio.wait_for(self._wake.wait(), self._interval())
                except TimeoutError:
                    pass
            self._wake.clear()
            with self._lock:
                batch = [(reply, *self._take(reply)) for reply in self._replies]
                self._replies = [reply for reply, _, closing in batch if not closing]
                if not batch:
                    self._running = False
                    return
            try:
                await self._flush(batch)
            finally:
                for reply, _, closing in batch:
                    if closing:
                        reply.sent.set_result(None)

    def _interval(self) -> float:
        with self._lock:
            open_replies = max(len(self._replies), 1)
        return min(self.interval_s * open_replies, max(self.max_interval_s, self.interval_s))

    def _urgent(self) -> bool:
        with self._lock:
            return any(r.final is not None or (r.pending and not r.started) for r in self._replies)

    @staticmethod
    def _take(reply: Reply) -> tuple[list[dict], bool]:
        """(the events to send for `reply` now, whether they end it); under the lock."""
        events = []
        if reply.pending:
            events.append({**reply.label, "text": reply.pending})
            reply.pending, reply.started = "", True
        return events + (reply.final or []), reply.final is not None

    async def _flush(self, batch: list[tuple[Reply, list[dict], bool]]) -> None:
        layer = get_channel_layer()
        sends = [(reply, events) for reply, events, _ in batch if events]
        results = await asyncio.gather(
            self._read_stop_flags([reply for reply, _, closing in batch if not closing]),
            *(layer.group_send(chat_group(reply.conversation_id),
                               {"type": "chat.event", "events": events})
              for reply, events in sends),
            return_exceptions=True,
        )
        if isinstance(results[0], Exception):  # the next flush reads them again
            logger.warning("chat stop flags could not be read: %r", results[0])
        for (reply, _), result in zip(sends, results[1:], strict=True):
            if isinstance(result, Exception):  # live updates are best effort; rows are stored
                logger.warning("chat events for %s were not sent: %r", reply.label, result)

    async def _read_stop_flags(self, replies: list[Reply]) -> None:
        if not replies:
            return
        flags = await self._redis.mget([reply.stop_key for reply in replies])
        for reply, flag in zip(replies, flags, strict=True):
            if flag is not None:
                reply.stop_requested = True


@functools.cache
def chat_relay() -> ChatRelay:
    """This process's relay."""
    return ChatRelay(setting("SLOUGHGPT_CHAT_FLUSH_MS") / 1000,
                     setting("SLOUGHGPT_CHAT_FLUSH_MAX_MS") / 1000)
