"""Benchmark: metric points per second through the API, sent by the Python client in
batches to a daphne server this script starts (goal: >= 10,000 points/s). Prints one JSON line.

    python -m sloughgpt_site.devservices --var var/bench -- python benchmarks/metrics_ingest.py"""

from __future__ import annotations

import json
import time

from stack import daphne_server, prepare_django

POINTS = 300_000
KEYS = ("train/loss", "train/lr", "val/loss", "grad_norm")
BATCH_SIZE = 10_000


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
