"""Periodic work without a beat process: a task that queues its own next run (a chain), kept
to ONE chain per key however often it is started.

A cache key holds the id of the one run that is waiting. `periodic_schedule` queues a run
only when no key is set (cache.add), under the id it stored; a run starting
(`periodic_claim`) goes on only when the key still names it, or names nothing (the key
expired); any other copy (a countdown message a killed worker never acknowledged, which the
broker hands out again after its visibility timeout, while a new chain has begun) returns
without running or queueing anything, so two chains collapse into one. If queueing fails the
key is removed again, so the next start is not blocked by a run that does not exist.

The key outlives the countdown (`KEY_LIFETIME_RUNS` runs): a chain lost with its worker is
started again by the next `periodic_schedule` call after the key expires. Callers make such
calls often (when a worker starts, from frequent tasks), as a watchdog; each is one cache.add
while the chain is alive."""

from __future__ import annotations

import logging
from collections.abc import Callable
from uuid import uuid4

from django.core.cache import cache

logger = logging.getLogger(__name__)

# How many periods the key of a waiting run lives: long enough for a busy queue to reach it.
KEY_LIFETIME_RUNS = 3


def periodic_schedule(task, *, key: str, every_s: int) -> None:
    """Queues `task`'s next run in `every_s` seconds unless a run is already waiting."""
    task_id = str(uuid4())
    if not cache.add(key, task_id, timeout=KEY_LIFETIME_RUNS * every_s):
        return
    try:
        task.apply_async(countdown=every_s, task_id=task_id)
    except Exception:
        # No run was queued: free the key, so the next start queues one (the key can only
        # still be ours, nothing else replaces a live key).
        if cache.get(key) == task_id:
            cache.delete(key)
        raise


def periodic_claim(*, key: str, task_id: str | None) -> bool:
    """Whether the run `task_id` is the chain's (then the key is freed, so that its next run
    can be queued) rather than a stray copy, which must do nothing. A direct call (no task
    id: a shell, a test) runs and leaves the chain as it is."""
    if task_id is None:
        return True
    waiting = cache.get(key)
    if waiting is not None and waiting != task_id:
        logger.info("periodic run %s of %s skipped: run %s is the waiting one", task_id, key, waiting)
        return False
    cache.delete(key)
    return True


def periodic_run(*, key: str, task_id: str | None, work: Callable[[], object],
                 schedule: Callable[[], None]) -> None:
    """The body of a chained task: unless it is a stray copy, does `work`, then queues the
    next run through `schedule` (even when the work failed)."""
    if not periodic_claim(key=key, task_id=task_id):
        return
    try:
        work()
    finally:
        schedule()
