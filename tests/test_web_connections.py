"""The web process under load: requests borrow database connections from a bounded pool, so
a burst of concurrent requests never leaves PostgreSQL short of clients for everyone else."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from apps.accounts.services import api_token_create
from tests.processes import daphne_server

pytestmark = [pytest.mark.slow]
POOL_SIZE = 3


def _connections_of_others() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_a_burst_of_requests_holds_no_more_connections_than_the_pool(transactional_db, tmp_path, make_user):
    # given daphne with a pool of three connections, and a user's token
    token = api_token_create(user=make_user(), name="burst").secret
    headers = {"Authorization": f"Bearer {token}"}
    var_dir = Path(settings.MEDIA_ROOT).parent
    with daphne_server(var_dir, tmp_path / "daphne.log",
                       extra_env={"DATABASE_POOL_MAX_SIZE": str(POOL_SIZE)}) as url:
        # when 32 list requests arrive, 16 at a time
        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(
                lambda _: requests.get(f"{url}/api/v1/datasets/", headers=headers, timeout=60).status_code,
                range(32),
            ))
        # then every request is answered, and the server keeps only the pool's connections
        assert statuses == [200] * 32
        assert _connections_of_others() <= POOL_SIZE
