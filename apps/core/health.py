"""Liveness of everything SloughGPT needs: database, pgvector, Redis and Celery workers."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


def check_pgvector() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
    if row is None:
        return {"ok": False, "error": "the vector extension is not installed"}
    return {"ok": True, "version": row[0]}


def check_redis() -> dict:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
        return {"ok": True}
    finally:
        client.close()


def check_workers() -> dict:
    from sloughgpt_site.celery import app

    replies = app.control.ping(timeout=1.0) or []
    workers = sorted(name for reply in replies for name in reply)
    if not workers:
        return {"ok": False, "error": "no Celery worker answered within 1 s"}
    return {"ok": True, "workers": workers}


CHECKS: dict[str, Callable[[], dict]] = {
    "database": check_database,
    "pgvector": check_pgvector,
    "redis": check_redis,
    "workers": check_workers,
}


def run_checks() -> dict:
    results = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            result = check()
        except Exception as exc:  # a health check reports failures, it never raises
            result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = result
    return {"ok": all(r["ok"] for r in results.values()), "checks": results}
