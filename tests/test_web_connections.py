"""The web process under load: requests borrow database connections from a bounded pool, so
a burst of concurrent requests never leaves PostgreSQL short of clients for everyone else,
and a request that finds the pool exhausted for too long is told to retry (503), not 500."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection, transaction

from apps.accounts.services import api_token_create
from apps.datasets.models import Dataset
from apps.datasets.services import dataset_create
from tests.processes import daphne_server

pytestmark = [pytest.mark.slow]
POOL_SIZE = 3
# The web process's connections carry this name (libpq reads PGAPPNAME), so the count is the
# server's alone, whatever other processes of the suite are still closing theirs.
WEB_APP_NAME = "sloughgpt-burst-test"


def _connections_of_the_web_process() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = %s", [WEB_APP_NAME]
        )
        return cursor.fetchone()[0]


def test_a_burst_of_requests_holds_no_more_connections_than_the_pool(transactional_db, tmp_path, make_user):
    # given daphne with a pool of three connections, and a user's token
    token = api_token_create(user=make_user(), name="burst").secret
    headers = {"Authorization": f"Bearer {token}"}
    var_dir = Path(settings.MEDIA_ROOT).parent
    with daphne_server(var_dir, tmp_path / "daphne.log",
                       extra_env={"DATABASE_POOL_MAX_SIZE": str(POOL_SIZE),
                                  "PGAPPNAME": WEB_APP_NAME}) as url:
        # when 32 list requests arrive, 16 at a time
        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(
                lambda _: requests.get(f"{url}/api/v1/datasets/", headers=headers, timeout=60).status_code,
                range(32),
            ))
        # then every request is answered, and the server keeps only the pool's connections
        assert statuses == [200] * 32
        assert 0 < _connections_of_the_web_process() <= POOL_SIZE


def _wait_for_a_request_blocked_on_a_lock() -> None:
    deadline = time.monotonic() + 60
    while True:
        with connection.cursor() as cursor:
            # Inside a transaction the statistics views keep their first snapshot.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
            if cursor.fetchone()[0]:
                return
        assert time.monotonic() < deadline, "the rename never reached the locked row"
        time.sleep(0.1)


def test_a_request_that_finds_every_connection_busy_is_told_to_retry(transactional_db, tmp_path, make_user):
    # given daphne with a pool of one connection that waits one second for it, and a rename
    # holding that connection while it waits for a row this test has locked
    user = make_user()
    headers = {"Authorization": f"Bearer {api_token_create(user=user, name='busy').secret}"}
    dataset = dataset_create(user=user, name="poems")
    var_dir = Path(settings.MEDIA_ROOT).parent
    env = {"DATABASE_POOL_MAX_SIZE": "1", "DATABASE_POOL_TIMEOUT": "1"}
    with daphne_server(var_dir, tmp_path / "daphne.log", extra_env=env) as url, ThreadPoolExecutor(1) as pool:
        with transaction.atomic():
            Dataset.objects.select_for_update().get(pk=dataset.pk)
            rename = pool.submit(requests.patch, f"{url}/api/v1/datasets/{dataset.pk}/",
                                 json={"name": "sonnets"}, headers=headers, timeout=60)
            _wait_for_a_request_blocked_on_a_lock()
            # when other requests arrive, to the REST API and to the OpenAI-style one
            listed = requests.get(f"{url}/api/v1/datasets/", headers=headers, timeout=60)
            models = requests.get(f"{url}/v1/models", headers=headers, timeout=60)
        # then each is a 503 saying when to retry, in its API's error shape
        assert (listed.status_code, models.status_code) == (503, 503)
        assert int(listed.headers["Retry-After"]) > 0 and int(models.headers["Retry-After"]) > 0
        assert listed.json()["error"]["code"] == "server_busy"
        assert models.json()["error"]["code"] == "server_busy"
        assert models.json()["error"]["type"] == "server_error"
        # and the request that held the connection completes once the row is free
        assert rename.result().status_code == 200
