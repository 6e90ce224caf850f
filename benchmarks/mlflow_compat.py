"""Benchmark: MLflow's own client against our MLflow-compatible API and against MLflow's
tracking server, in one run on one machine. The same `MlflowClient.log_batch` call sends
200,000 metric points (2 keys x 100,000 steps; the client cuts it into requests of 1,000)
to (a) our daphne server and (b) `mlflow server` with its PostgreSQL backend store in a
second database of the same embedded PostgreSQL; then `get_metric_history` reads one key's
100,000 points from each (the best of three reads). Goals: ingest >= 2x MLflow's server,
history read <= 0.5x its time. Prints one JSON line.

Needs the full `mlflow` package (its server) besides mlflow-skinny:

    python -m sloughgpt_site.devservices --var var/bench-mlflow -- python benchmarks/mlflow_compat.py"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

from stack import ROOT, daphne_server, free_port, log, prepare_django, wait_for_port

STEPS = 100_000
KEYS = ("train/loss", "train/lr")
READS = 3


def _database_url(name: str) -> str:
    """The benchmark's PostgreSQL with a fresh database `name`, as a SQLAlchemy URL."""
    import psycopg
    from django.db import connection

    with connection.cursor() as cursor:  # CREATE DATABASE cannot run in a transaction
        cursor.execute("SELECT 1")
    settings = connection.settings_dict
    host = settings["HOST"] or settings.get("OPTIONS", {}).get("host", "")
    with psycopg.connect(connection.connection.info.dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    user, password = settings["USER"], settings["PASSWORD"] or ""
    if host.startswith("/"):
        return f"postgresql+psycopg://{user}:{password}@/{name}?host={host}"
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgresql+psycopg://{user}:{password}@{host}{port}/{name}"


@contextmanager
def mlflow_server(backend_uri: str, artifacts: Path, log_path: Path):
    """`mlflow server` as its docs start it for a team: a SQL backend store and served
    artifacts; yields its base URL once it answers (its first start creates its tables)."""
    port = free_port()
    output = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", backend_uri, "--artifacts-destination", str(artifacts)],
        cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        env={key: value for key, value in os.environ.items() if key != "MLFLOW_TRACKING_TOKEN"},
    )
    try:
        wait_for_port(port, process, 600, f"mlflow server (see {log_path})")
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=60)
        output.close()


def measure(url: str, token: str | None) -> dict:
    """Log the points into a new run at `url` and read one key's history back."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    if token:
        os.environ["MLFLOW_TRACKING_TOKEN"] = token
    else:
        os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
    mlflow.set_tracking_uri(url)
    client = MlflowClient(url)
    experiment = client.get_experiment_by_name("bench-mlflow-compat")
    experiment_id = (experiment.experiment_id if experiment
                     else client.create_experiment("bench-mlflow-compat"))
    run = client.create_run(experiment_id, run_name=f"ingest-{time.time_ns()}")
    now = int(time.time() * 1000)
    metrics = [Metric(key, 1.0 / (step + 1), now + step, step)
               for step in range(STEPS) for key in KEYS]
    started = time.perf_counter()
    client.log_batch(run.info.run_id, metrics=metrics)
    ingest_s = time.perf_counter() - started
    reads = []
    for _ in range(READS):
        started = time.perf_counter()
        history = client.get_metric_history(run.info.run_id, KEYS[0])
        reads.append(time.perf_counter() - started)
        assert len(history) == STEPS, f"{url} returned {len(history)} points"
    with redirect_stdout(sys.stderr):  # the client prints the run's URL; stdout is the JSON
        client.set_terminated(run.info.run_id)
    return {"points_per_s": round(len(metrics) / ingest_s), "ingest_s": round(ingest_s, 2),
            "read_ms": round(min(reads) * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args()
    _, token = prepare_django()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        with daphne_server() as url:
            log(f"ours: {url}")
            ours = measure(url, token)
        backend = _database_url("mlflow_bench")
        with mlflow_server(backend, scratch / "artifacts", scratch / "mlflow.log") as url:
            log(f"mlflow server: {url}")
            theirs = measure(url, None)
    print(json.dumps({
        "benchmark": "mlflow_compat",
        "points": STEPS * len(KEYS),
        "history_points": STEPS,
        "ours": ours,
        "mlflow_server": theirs,
        "ingest_ratio": round(ours["points_per_s"] / theirs["points_per_s"], 2),
        "read_ratio": round(ours["read_ms"] / theirs["read_ms"], 3),
        "goal_ingest_ratio": ">= 2",
        "goal_read_ratio": "<= 0.5",
    }))


if __name__ == "__main__":
    main()
