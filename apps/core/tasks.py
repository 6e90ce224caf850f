"""Platform tasks: a health round trip through the broker and a worker."""

import socket

from celery import shared_task


@shared_task(name="core.health_ping_task")
def health_ping_task(payload: str) -> dict:
    return {"echo": payload, "worker_host": socket.gethostname()}
