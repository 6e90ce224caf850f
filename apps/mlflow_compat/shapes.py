"""Our rows in MLflow's JSON shapes (service.proto's Experiment, Run, RunInfo, Metric).
Times are milliseconds since the epoch; params are text, as MLflow's are (a param logged
through /api/v1 with a typed value reads back as its text here)."""

from __future__ import annotations

from apps.experiments.models import Experiment, Run, RunStatus

from .ids import artifact_uri

# MLflow's RunStatus names <-> ours. MLflow has no "queued"; SCHEDULED is its nearest.
STATUS_TO_MLFLOW = {
    RunStatus.RUNNING: "RUNNING",
    RunStatus.QUEUED: "SCHEDULED",
    RunStatus.FINISHED: "FINISHED",
    RunStatus.FAILED: "FAILED",
    RunStatus.CANCELLED: "KILLED",
}
STATUS_FROM_MLFLOW = {name: status for status, name in STATUS_TO_MLFLOW.items()}
# The enum's numbers, which proto3 JSON may send instead of names.
STATUS_NUMBERS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
# A run's name is its own column; MLflow also shows it as this tag.
RUN_NAME_TAG = "mlflow.runName"
# An experiment's description is MLflow's note tag.
NOTE_TAG = "mlflow.note.content"


def millis(moment) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def param_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def experiment_json(experiment: Experiment) -> dict:
    tags = [{"key": NOTE_TAG, "value": experiment.description}] if experiment.description else []
    return {
        "experiment_id": str(experiment.pk),
        "name": experiment.name,
        "artifact_location": f"mlflow-artifacts:/{experiment.pk}",
        "lifecycle_stage": "active",
        "creation_time": millis(experiment.created_at),
        "last_update_time": millis(experiment.updated_at),
        "tags": tags,
    }


def run_info_json(run: Run) -> dict:
    return {
        "run_id": str(run.pk),
        "run_uuid": str(run.pk),
        "run_name": run.name,
        "experiment_id": str(run.experiment_id),
        # MLflow's user is whoever the client says ran the script, kept as this tag.
        "user_id": run.tags.get("mlflow.user", ""),
        "status": STATUS_TO_MLFLOW[run.status],
        "start_time": millis(run.started_at or run.created_at),
        "end_time": millis(run.finished_at),
        "artifact_uri": artifact_uri(experiment_id=run.experiment_id, run_id=run.pk),
        "lifecycle_stage": "active",
    }


def run_json(run: Run) -> dict:
    """The run with its latest metric values; `run.metric_series` should be prefetched."""
    metrics = [
        {"key": series.key, "value": series.last_value,
         "timestamp": int(series.last_timestamp * 1000), "step": series.last_step}
        for series in run.metric_series.all()
    ]
    params = [{"key": key, "value": param_text(value)} for key, value in run.params.items()]
    tags = {**run.tags, RUN_NAME_TAG: run.name}
    return {
        "info": run_info_json(run),
        "data": {
            "metrics": metrics,
            "params": params,
            "tags": [{"key": key, "value": value} for key, value in tags.items()],
        },
        "inputs": {},
        "outputs": {},
    }
