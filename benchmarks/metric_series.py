"""Benchmark: median latency of `GET /api/v1/runs/{id}/metrics/{key}/?points=1000` over a
1,000,000-point series, served by daphne (goal: < 300 ms). Prints one JSON line.

    python -m sloughgpt_site.devservices --var var/bench -- python benchmarks/metric_series.py

The points are written straight through the metric store (the same COPY ingestion uses),
then the table is vacuumed and analyzed as autovacuum would leave it."""

from __future__ import annotations

import json
import math
import statistics
import time

from stack import daphne_server, prepare_django

TOTAL_POINTS = 1_000_000
CHUNK = 100_000
REQUESTS = 15


def _fill(user) -> int:
    from django.db import connection, transaction

    from apps.experiments import services
    from apps.experiments.metric_store import POINTS, points_insert

    run = services.run_create(
        user=user,
        experiment_id=services.experiment_create(
            user=user, name=f"bench-series-{time.time_ns()}"
        ).pk,
        name="one-million",
    )
    for begin in range(0, TOTAL_POINTS, CHUNK):
        rows = [
            ("loss", step, 3.0 * math.exp(-step / 2e5) + 0.01 * math.sin(step), 0.0)
            for step in range(begin, begin + CHUNK)
        ]
        with transaction.atomic():
            points_insert(run_id=run.pk, rows=rows)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {POINTS}")
    return run.pk


def main() -> None:
    import requests

    user, token = prepare_django()
    run_id = _fill(user)
    with daphne_server() as url:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        endpoint = f"{url}/api/v1/runs/{run_id}/metrics/loss/?points=1000"
        session.get(endpoint).raise_for_status()  # warm the connection and the cache
        latencies, body = [], {}
        for _ in range(REQUESTS):
            started = time.perf_counter()
            response = session.get(endpoint)
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            body = response.json()
    print(
        json.dumps(
            {
                "benchmark": "metric_series",
                "total_points": body["total_points"],
                "points_returned": len(body["steps"]),
                "requests": REQUESTS,
                "median_ms": round(statistics.median(latencies), 1),
                "max_ms": round(max(latencies), 1),
                "goal_ms": 300,
            }
        )
    )


if __name__ == "__main__":
    main()
