"""`make run`: migrate, make sure an admin exists, then serve daphne (HTTP + WebSocket) and
the Celery workers until Ctrl-C, which stops them all and leaves nothing behind: one
process-pool worker for `default` and `train`, and one thread-pool worker for `inference`,
whose threads share one loaded model and decode their requests together.
Run it under `devservices` so the database and Redis are up first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

PYTHON = sys.executable


def _manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], check=True)


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main() -> int:
    host = os.environ.get("SLOUGHGPT_HOST", "127.0.0.1")
    port = os.environ.get("SLOUGHGPT_PORT", "8000")
    _manage("migrate", "--no-input")
    _manage("ensure_admin")
    # Each child leads its own process group, so stopping it stops its pool too.
    web = subprocess.Popen(
        [PYTHON, "-m", "daphne", "-b", host, "-p", port, "sloughgpt_site.asgi:application"],
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [
            PYTHON, "-m", "celery", "-A", "sloughgpt_site", "worker",
            "-Q", "default,train", "--concurrency", os.environ.get("CELERY_CONCURRENCY", "2"),
            "--loglevel", "INFO", "-n", "sloughgpt@%h",
        ],
        start_new_session=True,
    )
    inference = subprocess.Popen(
        [
            PYTHON, "-m", "celery", "-A", "sloughgpt_site", "worker",
            "-Q", "inference", "--pool", "threads",
            "--concurrency", os.environ.get("INFERENCE_CONCURRENCY", "8"),
            # It needs no other worker's events or state; its main thread should only
            # hand out tasks, not wake up for chatter while replies stream.
            "--without-gossip", "--without-mingle",
            "--loglevel", "INFO", "-n", "inference@%h",
        ],
        start_new_session=True,
    )
    processes = [web, worker, inference]
    print(f"\nSloughGPT is running at http://{host}:{port}/  (Ctrl-C stops it)\n", flush=True)
    stopping = False

    def request_stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        while not stopping and all(p.poll() is None for p in processes):
            time.sleep(0.5)
    finally:
        _stop(processes)
    failed = [p for p in processes if p.returncode not in (0, -signal.SIGTERM, -signal.SIGKILL)]
    return 1 if failed and not stopping else 0


if __name__ == "__main__":
    sys.exit(main())
