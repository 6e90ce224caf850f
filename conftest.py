"""Shared pytest fixtures: users, API clients, and a real Celery worker process.

Django tests need the real PostgreSQL and Redis; `make test` starts them (embedded) unless
DATABASE_URL / REDIS_URL point at servers."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
_emails = itertools.count(1)


@pytest.fixture(autouse=True)
def _clear_cache(request):
    # Rate-limit counters live in the Redis cache; one test must not spend another's budget.
    if "django_db_setup" in request.fixturenames or "db" in request.fixturenames:
        from django.core.cache import cache

        cache.clear()
    yield


@pytest.fixture
def make_user(db):
    from allauth.account.models import EmailAddress

    from apps.accounts.models import User

    def make(email: str | None = None, password: str = "correct horse battery", **extra):
        email = email or f"user{next(_emails)}@example.com"
        user = User.objects.create_user(email=email, password=password, **extra)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user

    return make


@pytest.fixture
def api_client_for():
    from rest_framework.test import APIClient

    def client_for(user=None, *, enforce_csrf: bool = False) -> APIClient:
        client = APIClient(enforce_csrf_checks=enforce_csrf)
        if user is not None:
            client.force_login(user)
        return client

    return client_for


def _test_database_url() -> str:
    """The URL of the database pytest-django created, for processes started by tests."""
    from django.db import connection

    cfg = connection.settings_dict
    # dj_database_url keeps a Unix-socket directory in OPTIONS["host"], not in HOST.
    host = cfg["HOST"] or cfg.get("OPTIONS", {}).get("host", "")
    if host.startswith("/"):
        return f"postgresql://{cfg['USER']}:{cfg['PASSWORD'] or ''}@/{cfg['NAME']}?host={host}"
    port = f":{cfg['PORT']}" if cfg["PORT"] else ""
    return f"postgresql://{cfg['USER']}:{cfg['PASSWORD'] or ''}@{host}{port}/{cfg['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """A real `celery worker` on every queue, sharing the test database and Redis."""
    from django.conf import settings

    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="sloughgpt_site.settings.test",
        DATABASE_URL=_test_database_url(),
        REDIS_URL=settings.REDIS_URL,
        SLOUGHGPT_VAR_DIR=str(Path(settings.MEDIA_ROOT).parent),
    )
    from sloughgpt_site.celery import app

    # Tasks queued by earlier tests (whose rows are gone) must not reach this worker.
    app.control.purge()
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "sloughgpt_site", "worker",
            "-Q", "default,train,inference", "--concurrency", "1", "--pool", "prefork",
            "--loglevel", "INFO", "-n", f"test-{os.getpid()}@%h", "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError((tmp_path / "worker.log").read_text())
        if app.control.ping(timeout=0.5):
            break
    else:
        raise RuntimeError("the Celery worker did not answer within 60 s")
    yield process
    # Shown by pytest only when the test failed: what the worker said.
    print("---- celery worker log ----\n" + (tmp_path / "worker.log").read_text()[-6000:])
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    log.close()
