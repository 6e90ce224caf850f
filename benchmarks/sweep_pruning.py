"""Sweep pruning: the same 16-trial TPE sweep of the nanoGPT char preset (short runs) over
learning rate, width (n_embd) and dropout, with 2 trials at once on a real Celery worker,
run without a pruner, then with each pruner asked for (median and Hyperband by default) fed
by each trial's live validation loss. Prints one JSON line: wall time and best objective
(lowest val_loss) of each, how many trials were pruned, and each pruner's wall-time ratio and
best-objective gap to no pruning. Goal: pruning <= 0.6x the wall time with a best objective
within 2 %.

    python -m sloughgpt_site.devservices --var var/bench-sweep -- \\
        python benchmarks/sweep_pruning.py [--trials 16] [--iters 300] [--pruners median,hyperband] [--data ../shared/data/shakespeare.txt]

The worker (queues default and train, 3 processes: two trials and the scheduler, one torch
thread each) logs to `<var>/sweep-pruning-worker.log`."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from stack import ROOT, log, prepare_django

os.environ.setdefault("DJANGO_DEBUG", "0")
SPACE = [
    {"name": "optim.lr", "type": "float", "low": 1e-4, "high": 3e-2, "log": True},
    {"name": "model.n_embd", "type": "categorical", "choices": [32, 64, 96, 128]},
    {"name": "model.dropout", "type": "float", "low": 0.0, "high": 0.3},
]


def base_config(iters: int) -> dict:
    return {
        "model": {"preset": "nanogpt-char", "n_layer": 2, "n_head": 4, "block_size": 64},
        "train": {"max_iters": iters, "batch_size": 12, "eval_interval": max(1, iters // 10), "eval_iters": 10,
                  "log_interval": max(1, iters // 10), "seed": 1},
        "optim": {"warmup_iters": max(1, iters // 20)},
    }


def dataset_version(user, path: Path):
    from apps.datasets import services

    body = path.read_bytes()
    dataset = services.dataset_create(user=user, name=f"sweep-bench-{time.time_ns()}")
    version, _ = services.dataset_version_upload(user=user, dataset_id=dataset.pk, stream=io.BytesIO(body),
                                                 filename=path.name, content_length=len(body))
    return services.dataset_version_validate(version_id=version.pk)


def run_sweep(user, version, *, trials: int, iters: int, pruner: str) -> dict:
    from apps.sweeps.models import Sweep
    from apps.sweeps.services import sweep_create

    started = time.monotonic()
    sweep = sweep_create(user=user, name=f"bench {pruner} {time.time_ns()}", dataset_version_id=version.pk,
                         base_config=base_config(iters), search_space=SPACE, sampler="tpe", seed=42,
                         pruner=pruner, pruner_startup_trials=4, max_trials=trials, parallelism=2)
    while (sweep := Sweep.objects.get(pk=sweep.pk)).status in ("running", "paused"):
        time.sleep(1.0)
    wall = time.monotonic() - started
    states = list(sweep.trials.values_list("state", flat=True))
    log(f"{pruner}: {sweep.status} in {wall:.0f}s, best {sweep.best_trial.objective if sweep.best_trial else None}")
    return {"wall_s": round(wall, 1), "best": sweep.best_trial.objective if sweep.best_trial else None,
            "status": sweep.status, "pruned": states.count("pruned"), "complete": states.count("complete")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--iters", type=int, default=300)
    parser.add_argument("--pruners", default="median,hyperband")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "shakespeare.txt")
    args = parser.parse_args()
    user, _ = prepare_django()
    from django.conf import settings

    from sloughgpt_site.celery import app

    version = dataset_version(user, args.data)
    log_path = Path(settings.MEDIA_ROOT).parent / "sweep-pruning-worker.log"
    app.control.purge()
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "sloughgpt_site", "worker", "-Q", "default,train",
         "--concurrency", "3", "--loglevel", "INFO", "-n", f"sweep-bench-{os.getpid()}@%h"],
        cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
        stdout=log_path.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while not app.control.ping(timeout=1.0):
            if worker.poll() is not None:
                raise RuntimeError(f"the worker did not start; see {log_path}")
        # One trial first, so neither measured sweep pays for tokenizing the data.
        run_sweep(user, version, trials=1, iters=args.iters, pruner="none")
        plain = run_sweep(user, version, trials=args.trials, iters=args.iters, pruner="none")
        pruned = {name: run_sweep(user, version, trials=args.trials, iters=args.iters, pruner=name)
                  for name in args.pruners.split(",")}
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    print(json.dumps({
        "benchmark": "sweep_pruning", "trials": args.trials, "iters": args.iters, "parallelism": 2,
        "no_pruning": plain,
        **{f"{name}_pruning": {**result, "wall_ratio": round(result["wall_s"] / plain["wall_s"], 3),
                               "best_gap_pct": round(100 * (result["best"] - plain["best"]) / plain["best"], 2)}
           for name, result in pruned.items()},
        "load_avg": round(os.getloadavg()[0], 1),
    }))


if __name__ == "__main__":
    main()
