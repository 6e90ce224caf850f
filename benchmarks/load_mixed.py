"""Mixed load: simulated users (locust, headless) against the product as `make run` serves it
(daphne, the `default,train` and `inference` Celery workers, PostgreSQL, Redis) for a fixed
time. Each user signs in with its own account, browses lists, logs metric batches to a run,
uploads small datasets and chats with the starter model (SmolLM2-135M-Instruct) over the chat
socket. Prints one JSON line: requests, p50/p95 per endpoint group (login, lists, metrics,
upload, chat time to first text and to done, ...), 5xx count (goal 0), 429 count and how many
came without Retry-After, lost chat messages (goal 0) and the machine's load.

    python -m sloughgpt_site.devservices --var var/bench-load -- \\
        python benchmarks/load_mixed.py [--users 50] [--duration 300] [--spawn-rate 5]

A 429 is a limit doing its job (50 users sign in from one address): it is counted, waited out
as its Retry-After asks, and not a failure. A chat message is lost when the server accepted it
(echoed it and queued a reply) but the user never saw the reply complete on the socket, or,
once the run is over and running replies have finished, the stored reply is missing, not
done, or differs from the text the socket streamed. The starter model is added once through
the API (`POST /api/v1/model-versions/starter/`, pip fetches it the first time) and kept in
the var directory; every simulated user gets its own ready version linked to that file, so
the inference worker loads it once. The stack's output goes to `<var>/load-mixed-stack.log`,
where the traceback of any 5xx is."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import gevent
import psutil
from load_user import Account, Chat, Plan, SimulatedUser
from locust import events
from locust.env import Environment
from stack import link_model_version, log, product_server, starter_version

os.environ.setdefault("DJANGO_DEBUG", "0")  # as in production: no per-query debug log
OWNER = "load-owner@example.com"  # holds the imported starter model between runs
USER_EMAIL = "load-user-{}@example.com"
PASSWORD = "load-mixed-password-8421"
SAMPLE_S = 5.0  # how often the machine's load is sampled
# After the users stop (each waits for its running chat first), replies still queued get this
# long to finish: only a chat cut off by the end of the run can still be running then.
REPLY_GRACE_S = 30.0


def starter_sou(url: str) -> Path:
    """The starter model's canonical file, added through the API the first time."""
    import requests  # here, after locust has patched the standard library for gevent

    from apps.accounts.models import ApiToken, User
    from apps.accounts.services import api_token_create
    from apps.registry import storage

    owner = User.objects.filter(email=OWNER).first() or User.objects.create_user(email=OWNER)
    ApiToken.objects.filter(owner=owner).delete()  # earlier runs' tokens are unused
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {api_token_create(user=owner, name='load').secret}"
    return storage.canonical_sou(owner.pk, starter_version(session, url, owner))


def make_accounts(count: int, sou: Path) -> list[Account]:
    """`count` fresh verified accounts (earlier runs' are deleted), each with a ready version
    of the starter model."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password

    from apps.accounts.models import User

    User.objects.filter(email__startswith=USER_EMAIL.split("{")[0]).delete()
    hashed = make_password(PASSWORD)  # once: hashing 50 times would take a while here
    users = User.objects.bulk_create(
        [User(email=USER_EMAIL.format(i), password=hashed) for i in range(count)])
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users])
    return [Account(u.email, PASSWORD, link_model_version(u, sou, name="starter")[0].pk)
            for u in users]


class Tally:
    """Every request event, totalled per endpoint group (the first word of its name)."""

    def __init__(self):
        self.requests = 0
        self.times: dict[str, list[float]] = defaultdict(list)  # answered, not limited
        self.server_errors: Counter = Counter()
        self.limited: Counter = Counter()
        self.limited_without_retry_after = 0
        self.failures: Counter = Counter()

    def on_request(self, request_type, name, response_time, exception, response=None, **_):
        group = name.split(" ", 1)[0]
        if group != "chat_ttft":  # a mark inside a chat send, not a request of its own
            self.requests += 1
        status = getattr(response, "status_code", None)
        if status == 429 or group == "chat_quota":
            self.limited[name] += 1
            if status == 429 and not response.headers.get("Retry-After"):
                self.limited_without_retry_after += 1
        elif status is not None and status >= 500:
            self.server_errors[name] += 1
            log(f"{status} from {name}: {(response.text or '')[:500]}")
        elif exception is not None:
            self.failures[name] += 1
            log(f"failed: {name}: {exception}")
        else:
            self.times[group].append(response_time)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 1)


def sample_load(samples: list[tuple[float, float]]) -> None:
    psutil.cpu_percent(None)
    while True:
        gevent.sleep(SAMPLE_S)
        samples.append((psutil.cpu_percent(None), os.getloadavg()[0]))


def lost_reason(chat: Chat, stored: dict) -> str | None:
    """Why an accepted chat message counts as lost, or None when it arrived whole."""
    user_message, reply = stored.get(chat.user_message_id), stored.get(chat.reply_id)
    if user_message is None or user_message.content != chat.prompt:
        return "user_message_missing"
    if reply is None:
        return "reply_missing"
    if reply.status != "done":
        return f"reply_{reply.status}"  # queued (never finished), failed or stopped
    if chat.outcome in ("timeout", "socket_error"):
        return f"not_delivered_{chat.outcome}"  # stored, but the user never saw it end
    if chat.done is not None and not (chat.done["content"] == chat.streamed == reply.content):
        return "incomplete"
    return None


def check_chats(chats: list[Chat], grace_s: float) -> dict:
    """Waits for replies still running, then compares every accepted chat with the database."""
    from apps.chat.models import Message

    accepted = [c for c in chats if c.accepted]
    replies = [c.reply_id for c in accepted if c.reply_id]
    deadline = time.monotonic() + grace_s
    while (Message.objects.filter(pk__in=replies, status=Message.Status.QUEUED).exists()
           and time.monotonic() < deadline):
        time.sleep(2)
    ids = replies + [c.user_message_id for c in accepted]
    stored = {m.pk: m for m in Message.objects.filter(pk__in=ids)}
    reasons = Counter(r for c in accepted if (r := lost_reason(c, stored)))
    return {"sent": len(chats), "accepted": len(accepted),
            "outcomes": dict(Counter(c.outcome for c in chats)),
            "lost": sum(reasons.values()), "lost_by_reason": dict(reasons)}


def run_users(url: str, plan: Plan, args, tally: Tally) -> dict:
    """Runs the users for the duration and lets running tasks finish; the load it put on."""
    SimulatedUser.plan = plan
    env = Environment(user_classes=[SimulatedUser], events=events, host=url,
                      stop_timeout=args.chat_timeout + 30)
    env.events.request.add_listener(tally.on_request)
    runner = env.create_local_runner()
    samples: list[tuple[float, float]] = []
    sampler = gevent.spawn(sample_load, samples)
    me = psutil.Process()
    cpu_before, load_before, started = sum(me.cpu_times()[:2]), os.getloadavg()[0], time.monotonic()
    runner.start(args.users, spawn_rate=args.spawn_rate)
    gevent.sleep(args.duration)
    runner.quit()  # stops spawning and waits (up to stop_timeout) for running tasks
    seconds = time.monotonic() - started
    sampler.kill()
    for error in runner.exceptions.values():
        log(f"{error['count']} x {error['msg']}\n{error['traceback']}")
    generator = sum(me.cpu_times()[:2]) - cpu_before
    return {
        "seconds": round(seconds, 1), "exceptions": sum(e["count"] for e in runner.exceptions.values()),
        "load": {
            "cpus": os.cpu_count(),
            "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "load_average_1m_max": round(max((s[1] for s in samples), default=0.0), 2),
            "cpu_percent_mean": round(sum(s[0] for s in samples) / max(1, len(samples)), 1),
            "generator_cpu_s": round(generator, 1),  # locust's own share of the machine
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of load")
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="users started per second")
    parser.add_argument("--chat-tokens", type=int, default=64, help="max tokens per reply")
    parser.add_argument("--chat-timeout", type=float, default=300.0,
                        help="seconds a user waits for a reply to finish")
    parser.add_argument("--metric-steps", type=int, default=100,
                        help="steps per metric batch (4 keys each)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    server_log = Path(settings.VAR_DIR) / "load-mixed-stack.log"
    tally = Tally()
    with product_server(server_log) as url:
        log(f"serving at {url}; its output: {server_log}")
        accounts = make_accounts(args.users, starter_sou(url))
        plan = Plan(accounts=accounts, chat_tokens=args.chat_tokens,
                    chat_timeout_s=args.chat_timeout, metric_steps=args.metric_steps)
        ran = run_users(url, plan, args, tally)
        chat = check_chats(plan.chats, grace_s=REPLY_GRACE_S)
    groups = {group: {"count": len(times), "p50_ms": percentile(times, 0.5),
                      "p95_ms": percentile(times, 0.95)}
              for group, times in sorted(tally.times.items())}
    print(json.dumps({
        "benchmark": "load_mixed", "users": args.users, "duration_s": args.duration,
        "spawn_rate": args.spawn_rate, "chat_tokens": args.chat_tokens, "seconds": ran["seconds"],
        "requests": tally.requests, "requests_per_s": round(tally.requests / ran["seconds"], 1),
        "groups": groups,
        "status_5xx": sum(tally.server_errors.values()), "status_5xx_by_request": dict(tally.server_errors),
        "status_429": sum(tally.limited.values()),
        "status_429_without_retry_after": tally.limited_without_retry_after,
        "status_429_by_request": dict(tally.limited),
        "failures": sum(tally.failures.values()), "failures_by_request": dict(tally.failures),
        "exceptions": ran["exceptions"], "chat": chat, "load": ran["load"],
        "server_log": str(server_log),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
