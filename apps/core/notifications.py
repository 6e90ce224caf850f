"""Publishing to a user's notifications socket. Call after the transaction commits, so a
client never hears of a row it cannot read yet."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def notify_user(*, user_id: int, event: dict) -> None:
    """Send `event` (JSON-safe, with a "type" naming it for the client) once committed."""
    transaction.on_commit(lambda: notify_user_now(user_id=user_id, event=event))


def notify_user_now(*, user_id: int, event: dict) -> None:
    """Send `event` now, raising if the channel layer fails: for a caller outside any
    transaction that must know whether it was sent (alert deliveries)."""
    async_to_sync(get_channel_layer().group_send)(user_group(user_id), {"type": "notify", "event": event})
