"""Live events of one personality version's neural training, sent to the
`personality_version.<id>` channel group that only users who may see the version can join
(consumers.PersonalityVersionConsumer): one `progress` event per finished epoch with its
loss, and one `status` event when training ends. The rows are written first, so a client
that missed events reads the same values from the API."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def version_group(version_id: int) -> str:
    return f"personality_version.{int(version_id)}"


def publish_version_event(*, version_id: int, event: dict) -> None:
    """Send `event` (JSON-safe, with a "type" naming it) once the transaction commits; at
    once outside one (the worker's per-epoch writes). Best effort: the values are already
    stored, so a Redis hiccup is logged instead of failing the training (robust=True)."""

    def send() -> None:
        async_to_sync(get_channel_layer().group_send)(
            version_group(version_id), {"type": "version.event", "event": event}
        )

    transaction.on_commit(send, robust=True)


def publish_epoch(*, version_id: int, epoch: int, epochs: int, loss: float, progress: float) -> None:
    publish_version_event(version_id=version_id, event={
        "type": "personality_version.progress", "version": version_id, "epoch": epoch,
        "epochs": epochs, "loss": loss, "progress": progress,
    })


def publish_status(*, version_id: int, status: str, error: str = "") -> None:
    publish_version_event(version_id=version_id, event={
        "type": "personality_version.status", "version": version_id, "status": status, "error": error,
    })
