"""Chat test fixtures: a per-module media folder shared with a real inference worker (a
thread-pool Celery worker on the `inference` queue, as production runs it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("chat-var")


@pytest.fixture(autouse=True)
def media_root(settings, var_dir):
    settings.MEDIA_ROOT = var_dir / "media"
    return settings.MEDIA_ROOT


def _test_database_url() -> str:
    """The server's URL with the test database's name (the host may sit in the query)."""
    from django.db import connection

    from sloughgpt_site.settings.env import service_url

    parts = urlsplit(service_url("DATABASE_URL"))
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture(scope="module")
def inference_worker(django_db_setup, django_db_blocker, var_dir):
    """`celery worker -Q inference --pool threads --concurrency 8` on the test database,
    started once per module (tests use transactional_db, so rows they commit are visible)."""
    from django.conf import settings

    from sloughgpt_site.celery import app

    with django_db_blocker.unblock():
        database_url = _test_database_url()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="sloughgpt_site.settings.test",
               DATABASE_URL=database_url, REDIS_URL=settings.REDIS_URL,
               SLOUGHGPT_VAR_DIR=str(var_dir), OMP_NUM_THREADS="1")
    app.control.purge()  # tasks left by earlier tests must not reach this worker
    log_path = var_dir / "inference-worker.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "sloughgpt_site", "worker", "-Q", "inference",
         "--pool", "threads", "--concurrency", "8", "--loglevel", "INFO",
         "-n", f"inference-test-{os.getpid()}@%h", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log_path.read_text())
        if app.control.ping(timeout=0.5):
            break
    else:
        raise RuntimeError("the inference worker did not answer within 60 s")
    yield process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    log.close()
