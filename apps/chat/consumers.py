"""The chat socket of one conversation (`/ws/chat/<id>/`). Only the owner may join; anyone
else and any unknown conversation is closed with 4404, anonymous users with 4401. Every
request (send, stop, regenerate, edit, compare, vote) first checks that the session or token
the socket was opened with still holds; when it has ended the request is dropped and the
socket closed with 4401. A malformed request answers an "error" event; the socket stays open.

Client -> server: {"type": "send", "content"}, {"type": "stop"} (the running reply, or the
running comparison's sides), {"type": "regenerate"}, {"type": "edit", "message_id",
"content"}, {"type": "ping"}; for the arena (apps/arena),
{"type": "compare", "content", "model_version_ids": [ids], "remote_models": [{"endpoint_id", "model"}]}
(two contestants in all) and
{"type": "vote", "battle_id", "vote": "a" | "b" | "tie" | "both_bad"}.
Server -> client (to every socket of the conversation): "message" (a new or edited message),
"removed" (message ids dropped by regenerate/edit), "notice", "delta", "done", "error";
"battle" (a new battle, models hidden), "battle_delta" and "battle_done" (per side A/B),
"battle_reveal" (the vote and both models); and "pong" to the sender. Deltas and the final
message come from the inference worker.

A web process serves many sockets, so this consumer's database work runs on a small pool of
threads of its own, never on channels' single shared database thread: one chat's send does
not queue behind another's there, and relayed events never wait for a database at all."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError
from rest_framework.exceptions import APIException

from apps.arena import services as arena_services
from apps.core.consumers import GroupConsumer
from apps.core.ws_auth import CLOSED_CODE, credential_is_live

from . import services
from .quotas import QuotaExceeded
from .realtime import chat_group
from .selectors import conversation_exists


def _validation_message(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{m}" for messages in error.message_dict.values() for m in messages)
    return "; ".join(error.messages)


# Requests (send, stop, ...) one web process runs at once; each thread keeps a database connection.
# A send takes a few ms of CPU, and threads share one GIL: when eight chats send at once, four
# threads finish none of them until nearly all are done, where two hand the first to a worker
# sooner (it reached the engine after 22-33 ms instead of 29-45 ms, SmolLM2, 8 chats), while a
# request waiting on a lock still leaves another thread free.
REQUEST_THREADS = 2
_requests = ThreadPoolExecutor(max_workers=REQUEST_THREADS, thread_name_prefix="sloughgpt-chat")


def _on_request_thread(function):
    return database_sync_to_async(function, thread_sensitive=False, executor=_requests)


def _stop_everything(*, user, conversation_id) -> bool:
    """Stop the conversation's running reply and the sides of its running comparison;
    whether anything was running."""
    reply = services.generation_stop(user=user, conversation_id=conversation_id)
    sides = arena_services.battle_stop(user=user, conversation_id=conversation_id)
    return reply is not None or bool(sides)


class CredentialEnded(Exception):
    """The socket's session or token no longer authenticates."""


class ChatConsumer(GroupConsumer):
    async def group_for(self, user) -> str | None:
        self.conversation_id = self.scope["url_route"]["kwargs"]["conversation_id"]
        if not await _on_request_thread(conversation_exists)(
                user=user, conversation_id=self.conversation_id):
            return None
        return chat_group(self.conversation_id)

    def on_db_thread(self, function):
        return _on_request_thread(function)  # the credential checks GroupConsumer makes too

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        handler = {"send": self._send, "stop": self._stop, "regenerate": self._regenerate,
                   "edit": self._edit, "compare": self._compare, "vote": self._vote,
                   "ping": self._ping}.get(kind)
        if handler is None:
            await self._error("send a JSON object whose type is send, stop, regenerate, edit, "
                              "compare, vote or ping")
            return
        try:
            await handler(content)
        except CredentialEnded:
            await self.close(code=CLOSED_CODE)
        except QuotaExceeded as exc:
            await self.send_json({"type": "error", "code": "quota_exceeded", "message": exc.message,
                                  "retry_after": exc.retry_after, "reset_at": exc.reset_at.isoformat()})
        except ValidationError as exc:
            await self._error(_validation_message(exc), "validation_error")
        except APIException as exc:  # NotFound for a message or conversation that is not yours
            await self._error(str(exc.detail), exc.default_code)

    async def _error(self, message: str, code: str = "bad_request") -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    def _call(self, service, **kwargs):
        # A socket handles one message at a time, so its own requests still run in order.
        credential, user = self.scope["credential"], self.scope["user"]

        def run():
            # On the same thread hop as the request: a logout or revocation that raced the
            # close event still stops the request.
            if not credential_is_live(credential):
                raise CredentialEnded
            return service(user=user, conversation_id=self.conversation_id, **kwargs)

        return _on_request_thread(run)()

    async def _send(self, content):
        await self._call(services.message_send, content=content.get("content"))

    async def _regenerate(self, content):
        await self._call(services.message_regenerate)

    async def _edit(self, content):
        message_id = content.get("message_id")
        if not isinstance(message_id, int):
            raise ValidationError({"message_id": ["give the id of your message to edit"]})
        await self._call(services.message_edit, message_id=message_id, content=content.get("content"))

    async def _compare(self, content):
        ids, remote = content.get("model_version_ids", []), content.get("remote_models", [])
        if not isinstance(ids, list) or len(ids) > 2 or not all(isinstance(pk, int) and not isinstance(pk, bool)
                                                                for pk in ids):
            raise ValidationError({"model_version_ids": ["give the ids of two of your model versions"]})
        if not isinstance(remote, list) or len(remote) > 2 or not all(
                isinstance(entry, dict) and isinstance(entry.get("endpoint_id"), int)
                and not isinstance(entry.get("endpoint_id"), bool) and isinstance(entry.get("model"), str)
                for entry in remote):
            raise ValidationError({"remote_models": ['give [{"endpoint_id": id, "model": name}] of your endpoints']})
        await self._call(arena_services.battle_create, content=content.get("content"),
                         model_version_ids=ids, remote_models=remote)

    async def _vote(self, content):
        battle_id = content.get("battle_id")
        if not isinstance(battle_id, int) or isinstance(battle_id, bool):
            raise ValidationError({"battle_id": ["give the id of the battle to vote on"]})
        await self._call(arena_services.battle_vote, battle_id=battle_id, vote=content.get("vote"))

    async def _stop(self, content):
        if not await self._call(_stop_everything):
            await self._error("nothing is being generated", "not_running")

    async def _ping(self, content):
        await self.send_json({"type": "pong"})

    async def dispatch(self, message):
        # channels first hops to its shared database thread to close that thread's stale
        # connections. This consumer never uses that thread (its requests run on their own
        # pool, which cleans up the same way), and the hop would make every delta and send
        # wait behind other sockets' database work.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def chat_event(self, message):
        for event in message["events"]:
            await self.send_json(event)
