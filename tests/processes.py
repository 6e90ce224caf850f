"""Real server processes for tests: Celery workers and daphne, started on the test
database and Redis, waited for until they answer, and stopped with their children. Processes
started with the same var folder count their Prometheus metrics together (its prometheus/)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_database_url() -> str:
    """The URL of the database pytest-django created, for processes started by tests."""
    from django.db import connection

    cfg = connection.settings_dict
    # dj_database_url keeps a Unix-socket directory in OPTIONS["host"], not in HOST.
    host = cfg["HOST"] or cfg.get("OPTIONS", {}).get("host", "")
    if host.startswith("/"):
        return f"postgresql://{cfg['USER']}:{cfg['PASSWORD'] or ''}@/{cfg['NAME']}?host={host}"
    port = f":{cfg['PORT']}" if cfg["PORT"] else ""
    return f"postgresql://{cfg['USER']}:{cfg['PASSWORD'] or ''}@{host}{port}/{cfg['NAME']}"


def server_env(var_dir: Path) -> dict[str, str]:
    from django.conf import settings

    metrics_dir = var_dir / "prometheus"
    metrics_dir.mkdir(parents=True, exist_ok=True)
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="sloughgpt_site.settings.test",
        DATABASE_URL=test_database_url(),
        REDIS_URL=settings.REDIS_URL,
        SLOUGHGPT_VAR_DIR=str(var_dir),
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def celery_worker(var_dir: Path, log_path: Path, *, queues: str, pool: str = "prefork",
                  concurrency: int = 1, extra_env: dict | None = None) -> Iterator[subprocess.Popen]:
    """A `celery worker` consuming `queues`; ready once it answers a ping by its own name."""
    from sloughgpt_site.celery import app

    name = f"test-{queues.replace(',', '-')}-{os.getpid()}@{socket.gethostname()}"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "sloughgpt_site", "worker", "-Q", queues,
         "--pool", pool, "--concurrency", str(concurrency), "--loglevel", "INFO", "-n", name,
         "--without-gossip", "--without-mingle"],
        cwd=ROOT, env={**server_env(var_dir), **(extra_env or {})}, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not app.control.ping(destination=[name], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {name} did not start:\n{log_path.read_text()[-4000:]}")
        yield process
    finally:
        _stop(process)
        log.close()
        # Shown by pytest only when a test failed: what the worker said.
        print(f"---- {name} log ----\n" + log_path.read_text()[-6000:])


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def daphne_server(var_dir: Path, log_path: Path, *, extra_env: dict | None = None) -> Iterator[str]:
    """The ASGI app under daphne (HTTP and WebSockets); yields its base URL."""
    port = _free_port()
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "sloughgpt_site.asgi:application"],
        cwd=ROOT, env={**server_env(var_dir), **(extra_env or {})}, stdout=log, stderr=subprocess.STDOUT,
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
                    raise RuntimeError(f"daphne did not start:\n{log_path.read_text()[-4000:]}") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)
        log.close()
        print("---- daphne log ----\n" + log_path.read_text()[-4000:])
