"""Live events of one run, sent to the `run.<id>` channel group that only those who may read
the run can join (consumers.RunConsumer). Metrics are published on ingestion; training will publish
log lines and system stats the same way."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def run_group(run_id: int) -> str:
    return f"run.{int(run_id)}"


def publish_run_event(*, run_id: int, event: dict) -> None:
    """Send `event` (JSON-safe, with a "type" naming it) once the transaction commits.
    Live updates are best effort: the data is already stored, so a Redis hiccup is logged
    rather than failing the request (robust=True)."""

    def send() -> None:
        async_to_sync(get_channel_layer().group_send)(
            run_group(run_id), {"type": "run.event", "event": event}
        )

    transaction.on_commit(send, robust=True)
