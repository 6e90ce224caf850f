"""`sloughgpt import mlflow PATH`: brings an MLflow file store (an `mlruns` folder) into
your SloughGPT account through the REST API: each experiment (by name), its runs with
params, tags, every metric point (with its step and time) and artifact files.

Importing again adds nothing: each imported run carries the tag `mlflow.run_id`, and a run
is skipped when one with that tag is marked complete (`mlflow.import` = "complete", set
last). A run an interrupted import left incomplete is removed and imported anew.

The store is only read: meta.yaml with yaml.safe_load, other files as text; symlinks are
not followed, and runs and experiments MLflow had deleted are left out."""

from __future__ import annotations

import argparse
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .client import ApiError, Client

SOURCE_TAG = "mlflow.run_id"
DONE_TAG = "mlflow.import"
POINTS_PER_REQUEST = 10_000
# The server's limit on a tag's value; MLflow allows longer (e.g. its model-history tag).
MAX_TAG_VALUE_LENGTH = 5_000
# MLflow's RunStatus numbers (meta.yaml) -> ours.
STATUSES = {1: "running", 2: "queued", 3: "finished", 4: "failed", 5: "cancelled"}
SKIPPED_FOLDERS = {".trash", "models", ".mlflow"}


class StoreError(Exception):
    """The folder is not an MLflow file store we can read; says which file and why."""


@dataclass
class MlflowRun:
    run_id: str
    name: str
    status: str
    params: dict[str, str]
    tags: dict[str, str]
    metrics: list[dict]  # our points: key, value, step, timestamp (seconds)
    artifacts: list[tuple[str, Path]]  # (name within the run, file)
    skipped_points: int = 0


@dataclass
class MlflowExperiment:
    name: str
    runs: list[MlflowRun] = field(default_factory=list)


def _meta(folder: Path) -> dict | None:
    path = folder / "meta.yaml"
    if not path.is_file() or path.is_symlink():
        return None
    try:
        meta = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise StoreError(f"{path}: not readable YAML ({exc})") from None
    if not isinstance(meta, dict):
        raise StoreError(f"{path}: expected a mapping of fields")
    return meta


def _files(folder: Path) -> list[tuple[str, Path]]:
    """(name with '/' between folders, file) under `folder`, links left out."""
    found = []
    if not folder.is_dir() or folder.is_symlink():
        return found
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not (Path(root) / d).is_symlink())
        for name in sorted(names):
            path = Path(root) / name
            if not path.is_symlink() and path.is_file():
                found.append((path.relative_to(folder).as_posix(), path))
    return found


def _values(folder: Path) -> dict[str, str]:
    return {key: path.read_text(encoding="utf-8") for key, path in _files(folder)}


def _points(folder: Path) -> tuple[list[dict], int]:
    """Every point of every metric file (lines of `timestamp value [step]`); points our
    server cannot hold (NaN, infinity, a negative step) are counted and left out."""
    points, skipped = [], 0
    for key, path in _files(folder):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            parts = line.split()
            if not parts:
                continue
            try:
                timestamp, value = int(parts[0]), float(parts[1])
                step = int(parts[2]) if len(parts) > 2 else 0
            except (IndexError, ValueError):
                raise StoreError(f"{path} line {number}: expected 'timestamp value step'") from None
            if not math.isfinite(value) or step < 0:
                skipped += 1
                continue
            points.append({"key": key, "value": value, "step": step, "timestamp": timestamp / 1000})
    return points, skipped


def _run(folder: Path, meta: dict) -> MlflowRun:
    tags = _values(folder / "tags")
    status = meta.get("status")
    points, skipped = _points(folder / "metrics")
    return MlflowRun(
        run_id=str(meta.get("run_id") or folder.name),
        name=str(meta.get("run_name") or tags.get("mlflow.runName") or folder.name),
        status=STATUSES.get(status if isinstance(status, int) else 3, "finished"),
        params=_values(folder / "params"),
        tags={key: value for key, value in tags.items() if key != "mlflow.runName"},
        metrics=points,
        artifacts=_files(folder / "artifacts"),
        skipped_points=skipped,
    )


def read_store(root: Path) -> list[MlflowExperiment]:
    """The store's live experiments that hold live runs (every store has a Default
    experiment, most often empty), in folder order."""
    if not root.is_dir():
        raise StoreError(f"{root}: not a folder")
    experiments = []
    for folder in sorted(root.iterdir()):
        if folder.name in SKIPPED_FOLDERS or folder.is_symlink() or not folder.is_dir():
            continue
        meta = _meta(folder)
        if meta is None or meta.get("lifecycle_stage") == "deleted":
            continue
        experiment = MlflowExperiment(name=str(meta.get("name") or folder.name))
        for run_folder in sorted(folder.iterdir()):
            if run_folder.is_symlink() or not run_folder.is_dir():
                continue
            run_meta = _meta(run_folder)
            if run_meta is not None and run_meta.get("lifecycle_stage") != "deleted":
                experiment.runs.append(_run(run_folder, run_meta))
        if experiment.runs:
            experiments.append(experiment)
    if not experiments:
        raise StoreError(f"{root}: no MLflow runs here (expected <id>/<run id>/meta.yaml)")
    return experiments


@dataclass
class Report:
    experiments: int = 0
    runs: int = 0
    skipped_runs: int = 0
    points: int = 0
    skipped_points: int = 0
    artifacts: int = 0


def _tags(run: MlflowRun) -> dict[str, str]:
    kept = {key: value for key, value in run.tags.items() if len(value) <= MAX_TAG_VALUE_LENGTH}
    return {**kept, SOURCE_TAG: run.run_id}


def _import_run(client: Client, experiment_id: int, run: MlflowRun, report: Report) -> None:
    created = client.request("POST", f"experiments/{experiment_id}/runs/", json={
        "name": run.name, "params": run.params, "tags": _tags(run), "status": "running"}).json()
    for start in range(0, len(run.metrics), POINTS_PER_REQUEST):
        # A key per batch, so a batch resent after a lost answer is stored once.
        key = f"mlflow-{run.run_id}-{start}"[:64]
        client.request("POST", f"runs/{created['id']}/metrics/", headers={"Idempotency-Key": key},
                       json={"metrics": run.metrics[start : start + POINTS_PER_REQUEST]})
    for name, path in run.artifacts:
        client.upload_artifact(created["id"], path, name)
    client.request("PATCH", f"runs/{created['id']}/",
                   json={"status": run.status, "tags": {DONE_TAG: "complete"}})
    report.runs += 1
    report.points += len(run.metrics)
    report.skipped_points += run.skipped_points
    report.artifacts += len(run.artifacts)


def import_store(client: Client, root: Path) -> Report:
    report = Report()
    for experiment in read_store(root):
        ours = client.create_experiment(experiment.name)
        report.experiments += 1
        imported = {run["tags"][SOURCE_TAG]: run for run in client.search_runs(ours.id)
                    if SOURCE_TAG in run["tags"]}
        for run in experiment.runs:
            earlier = imported.get(run.run_id)
            if earlier is not None and earlier["tags"].get(DONE_TAG) == "complete":
                report.skipped_runs += 1
                continue
            if earlier is not None:
                client.request("DELETE", f"runs/{earlier['id']}/")
            _import_run(client, ours.id, run, report)
    return report


def _command(args: argparse.Namespace) -> int:
    try:
        client = Client(args.url, args.token)
        report = import_store(client, args.path)
    except (StoreError, ValueError, ApiError) as exc:
        print(f"sloughgpt import mlflow: {exc}", file=sys.stderr)
        return 1
    print(f"{report.experiments} experiments; {report.runs} runs imported, "
          f"{report.skipped_runs} already there; {report.points} metric points "
          f"({report.skipped_points} NaN/infinite left out); {report.artifacts} artifacts")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("import", help="Bring runs from another tracker into your account.")
    sources = parser.add_subparsers(dest="source", metavar="SOURCE", required=True)
    mlflow = sources.add_parser(
        "mlflow", help="An MLflow file store (an mlruns folder): experiments, runs, params, "
        "metrics and artifacts; importing again adds nothing.")
    mlflow.add_argument("path", type=Path, help="the mlruns folder")
    mlflow.add_argument("--url", help="server URL (default: $SLOUGHGPT_URL)")
    mlflow.add_argument("--token", help="API token (default: $SLOUGHGPT_API_TOKEN)")
    mlflow.set_defaults(func=_command)
