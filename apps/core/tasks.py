"""Platform tasks: a health round trip through the broker, a worker and its database."""

import socket

from celery import shared_task
from django.db import connection


@shared_task(name="core.health_ping_task")
def health_ping_task(payload: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (database_session,) = cursor.fetchone()
    return {"echo": payload, "worker_host": socket.gethostname(),
            "database_session": database_session}
