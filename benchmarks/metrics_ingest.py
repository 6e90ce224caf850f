"""Benchmark: metric points per second through the API, sent by the Python client in
batches to a daphne server this script starts (goal: >= 10,000 points/s). Prints one JSON line.

    python -m sloughgpt_site.devservices --var var/bench -- python benchmarks/metrics_ingest.py

Also home of the setup both experiment benchmarks share (migrate, a user with a token,
a daphne server on a free port)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from contextlib import closing, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sloughgpt_site.settings.local")

POINTS = 300_000
KEYS = ("train/loss", "train/lr", "val/loss", "grad_norm")
BATCH_SIZE = 10_000


def prepare_django() -> tuple[object, str]:
    """Migrates and returns (a benchmark user, a fresh API token for it)."""
    import django

    django.setup()
    from django.core.management import call_command

    from apps.accounts.models import ApiToken, User
    from apps.accounts.services import api_token_create

    call_command("migrate", verbosity=0, interactive=False)
    user = User.objects.filter(email="bench@example.com").first()
    if user is None:
        user = User.objects.create_user(email="bench@example.com", password="bench-password-123")
    ApiToken.objects.filter(owner=user).delete()  # a user may hold 50; earlier runs' are unused
    return user, api_token_create(user=user, name=f"bench-{time.time_ns()}").secret


@contextmanager
def daphne_server():
    """A daphne process serving the site; yields its base URL and stops it afterwards."""
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-v",
            "0",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "sloughgpt_site.asgi:application",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("daphne did not start") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def main() -> None:
    from sloughgpt.client import Client

    _, token = prepare_django()
    with daphne_server() as url:
        client = Client(url, token)
        run = client.start_run("bench-ingest", f"ingest-{time.time_ns()}", batch_size=BATCH_SIZE)
        steps = POINTS // len(KEYS)
        started = time.perf_counter()
        for step in range(steps):
            run.log_metrics({key: 1.0 / (step + 1) for key in KEYS}, step=step)
        run.finish()
        seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "benchmark": "metrics_ingest",
                "points": steps * len(KEYS),
                "batch_size": BATCH_SIZE,
                "seconds": round(seconds, 3),
                "points_per_s": round(steps * len(KEYS) / seconds),
                "goal_points_per_s": 10_000,
            }
        )
    )


if __name__ == "__main__":
    main()
