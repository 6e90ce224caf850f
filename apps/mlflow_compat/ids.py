"""How MLflow's ids name our rows, in one place.

- experiment_id: our Experiment's primary key as a decimal string. "0", MLflow's default
  experiment (where a script that never calls set_experiment logs), is the caller's
  experiment named "Default", created on first use.
- run_id: our Run's primary key as a decimal string. MLflow's own server makes 32-hex uuids,
  but its clients treat the id as opaque text; a primary key keeps every lookup one indexed,
  access-checked row (apps.core.access.access_get), with no second id to keep in step.
- artifact_uri: `mlflow-artifacts:/<experiment_id>/<run_id>/artifacts`, which the client
  resolves against the tracking URI to
  `/api/2.0/mlflow-artifacts/artifacts/<experiment_id>/<run_id>/artifacts/<path>`.

Text that is not one of the caller's ids is RESOURCE_DOES_NOT_EXIST (404), exactly like an
id of a row the caller may not read."""

from __future__ import annotations

import re

from .errors import MlflowError

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"
_ID = re.compile(r"[1-9][0-9]{0,17}")  # fits a bigint with room to spare


def parse_id(raw, *, kind: str) -> int:
    """Our primary key from MLflow's id text, or RESOURCE_DOES_NOT_EXIST."""
    text = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
    if not isinstance(text, str) or not _ID.fullmatch(text):
        raise MlflowError.not_found(f"No {kind} with id {raw!r}.")
    return int(text)


def artifact_uri(*, experiment_id: int, run_id: int) -> str:
    return f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"
