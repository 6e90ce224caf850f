"""How many replies from remote endpoints may stream at once: a few per user and a few for
the whole site. A remote reply holds an inference worker thread for as long as the remote
takes (up to SLOUGHGPT_REMOTE_TIMEOUT_S), so without a cap slow remotes, even one user's,
could hold every thread while local replies wait. Over a cap the reply fails at once with
`RemoteBusy` ("try again") instead of waiting for a slot.

The slots are members of two Redis sorted sets (the user's, the site's), each scored with
when it lapses: taken and counted in one script (atomic across workers), freed when the
reply ends however it ends, and lapsing by themselves after the longest a reply can run if
a worker dies before it frees them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

from apps.chat import redis_state

from .client import RemoteError

# KEYS: the user's set, the site's set. ARGV: now, lapse time, member, user cap, site cap, ttl.
# Returns 1 when taken, -1 over the user's cap, -2 over the site's.
_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return -1 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then return -2 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[6])
return 1
"""


class RemoteBusy(RemoteError):
    """Too many remote replies are streaming (the user's or the site's); try again soon."""


def _keys(user_id: int) -> tuple[str, str]:
    return redis_state.key("remote", "user", user_id), redis_state.key("remote", "site")


@contextmanager
def remote_slot(user_id: int) -> Iterator[None]:
    """Hold one of the user's and one of the site's remote reply slots while the block runs;
    RemoteBusy when either cap is reached."""
    user_cap, site_cap = settings.SLOUGHGPT_REMOTE_MAX_PER_USER, settings.SLOUGHGPT_REMOTE_MAX_IN_FLIGHT
    lapse_s = settings.SLOUGHGPT_REMOTE_TIMEOUT_S + 60  # a reply never runs longer than its timeout
    keys, member, now = _keys(user_id), uuid.uuid4().hex, time.time()
    taken = redis_state.client().eval(_TAKE, 2, *keys, now, now + lapse_s, member, user_cap, site_cap, lapse_s)
    if taken == -1:
        raise RemoteBusy(f"you already have {user_cap} remote replies streaming; try again when one ends")
    if taken == -2:
        raise RemoteBusy("the server is busy with other remote replies; try again in a moment")
    try:
        yield
    finally:
        pipe = redis_state.client().pipeline()
        for key in keys:
            pipe.zrem(key, member)
        pipe.execute()
