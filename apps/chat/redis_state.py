"""The Redis client for chat's short-lived shared state (quota counters, stop flags, API reply
queues). It uses the cache's logical database: all of it expires by itself, and none of it
matters once a generation has ended."""

from __future__ import annotations

import functools

import redis
from django.conf import settings

from sloughgpt_site.settings.env import redis_db_url

PREFIX = "sloughgpt:chat:"
CACHE_DB = 1  # settings/cache.py puts the cache in logical database 1


def redis_url() -> str:
    return redis_db_url(settings.REDIS_URL, CACHE_DB)


@functools.cache
def client() -> redis.Redis:
    """One thread-safe connection pool per process."""
    return redis.Redis.from_url(redis_url())


def key(*parts) -> str:
    return PREFIX + ":".join(str(part) for part in parts)


# -- stop flags: set by whoever asks to stop, read by the worker between decode steps ---------
STOP_TTL_S = 3600


def stop_key(generation_id: str) -> str:
    return key("stop", generation_id)


def stop_request(generation_id: str) -> None:
    client().set(stop_key(generation_id), 1, ex=STOP_TTL_S)


def stop_requested(generation_id: str) -> bool:
    return bool(client().exists(stop_key(generation_id)))
