"""Shared pytest fixtures: users, API clients, and a real Celery worker process.

Django tests need the real PostgreSQL and Redis; `make test` starts them (embedded) unless
DATABASE_URL / REDIS_URL point at servers."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

# The S3-compatible test server (moto) and the storage-layer fixtures that use it.
pytest_plugins = ["tests.s3_server"]

_emails = itertools.count(1)


@pytest.fixture(scope="session", autouse=True)
def _fresh_media_root():
    """The test database starts empty every session, so ids repeat: files kept under the
    same ids by an earlier session must not be mistaken for this one's."""
    import shutil

    from django.conf import settings

    if settings.configured and settings.SETTINGS_MODULE.endswith(".test"):
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


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


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """A real `celery worker` on every queue, sharing the test database, Redis and files."""
    from django.conf import settings

    from sloughgpt_site.celery import app
    from tests.processes import celery_worker

    # Tasks queued by earlier tests (whose rows are gone) must not reach this worker.
    app.control.purge()
    with celery_worker(Path(settings.MEDIA_ROOT).parent, tmp_path / "worker.log",
                       queues="default,train,inference") as process:
        yield process
