"""Chat test fixtures: a per-module media folder shared with a real inference worker (a
thread-pool Celery worker on the `inference` queue, as production runs it), and closing the
database connections the chat socket's request threads keep."""

from __future__ import annotations

import threading

import pytest
from django.db import connections


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("chat-var")


@pytest.fixture(autouse=True)
def media_root(settings, var_dir):
    settings.MEDIA_ROOT = var_dir / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="module")
def inference_worker(django_db_setup, django_db_blocker, var_dir):
    """`celery worker -Q inference --pool threads --concurrency 8` on the test database,
    started once per module (tests use transactional_db, so rows they commit are visible)."""
    from sloughgpt_site.celery import app
    from tests.processes import celery_worker

    app.control.purge()  # tasks left by earlier tests must not reach this worker
    with celery_worker(
        var_dir, var_dir / "inference-worker.log", queues="inference", pool="threads",
        concurrency=8, extra_env={"OMP_NUM_THREADS": "1"},
    ) as process:
        yield process


def close_request_thread_connections() -> None:
    """Close the connection each of the chat socket's request threads keeps (they would block
    the test database's teardown): every thread takes one closing call, held at a barrier
    until all have, so no thread takes two."""
    from apps.chat.consumers import REQUEST_THREADS, _requests

    barrier = threading.Barrier(REQUEST_THREADS)

    def close() -> None:
        connections.close_all()
        barrier.wait(timeout=30)

    for future in [_requests.submit(close) for _ in range(REQUEST_THREADS)]:
        future.result()
