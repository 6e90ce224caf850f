"""Access-matrix cases for the MLflow-compatible routes (apps/core/ownership.py): their ids
travel in the body or query string, as MLflow's clients send them. MLflow's delete is a
POST that needs delete access."""

from apps.core.ownership import Case, Raw
from apps.experiments.tests.factories import log_series, make_artifact, make_experiment, make_run

MARKER = "owner-secret-mlflow-marker"


def _experiment(user):
    experiment = make_experiment(user, name=MARKER)
    return {"experiment_id": str(experiment.pk)}, MARKER


def _run(user):
    run = make_run(user, name=MARKER, params={"lr": "0.1"})
    log_series(user, run, "loss", [3.0, 2.0])
    return {"run_id": str(run.pk), "experiment_id": str(run.experiment_id)}, MARKER


def _artifact(user):
    run = make_run(user, name=MARKER)
    make_artifact(user, run, name=f"{MARKER}.bin")
    return {"artifact_path": f"{run.experiment_id}/{run.pk}/artifacts/{MARKER}.bin"}, MARKER


def _run_case(**methods):
    return Case(setup=_run, methods=methods, ids_in_body="detail")


OWNED_ROUTES = {
    "mlflow:experiments-get": Case(setup=_experiment, ids_in_body="detail",
                                   methods={"get": lambda ids: ids}),
    "mlflow:experiments-get-by-name": Case(
        setup=_experiment, ids_in_body="detail",
        methods={"get": lambda ids: {"experiment_name": MARKER}}),
    "mlflow:experiments-search": Case(setup=_experiment, ids_in_body="list",
                                      methods={"post": lambda ids: {}, "get": lambda ids: {}}),
    "mlflow:runs-create": Case(setup=_experiment, ids_in_body="detail",
                               methods={"post": lambda ids: {**ids, "run_name": "another-run"}}),
    "mlflow:runs-search": Case(
        setup=_run, ids_in_body="list",
        methods={"post": lambda ids: {"experiment_ids": [ids["experiment_id"]]}}),
    "mlflow:runs-get": _run_case(get=lambda ids: {"run_id": ids["run_id"]}),
    "mlflow:runs-update": _run_case(
        post=lambda ids: {"run_id": ids["run_id"], "status": "KILLED"}),
    "mlflow:runs-delete": Case(setup=_run, methods={"post": lambda ids: {"run_id": ids["run_id"]}},
                               ids_in_body="detail", actions={"post": "delete"}),
    "mlflow:runs-log-metric": _run_case(
        post=lambda ids: {"run_id": ids["run_id"], "key": "loss", "value": 1.0, "step": 3}),
    "mlflow:runs-log-parameter": _run_case(
        post=lambda ids: {"run_id": ids["run_id"], "key": "lr", "value": "0.1"}),
    "mlflow:runs-set-tag": _run_case(
        post=lambda ids: {"run_id": ids["run_id"], "key": "team", "value": "nlp"}),
    "mlflow:runs-log-batch": _run_case(
        post=lambda ids: {"run_id": ids["run_id"],
                          "metrics": [{"key": "loss", "value": 1.0, "step": 3, "timestamp": 1}]}),
    "mlflow:metrics-get-history": _run_case(
        get=lambda ids: {"run_id": ids["run_id"], "metric_key": "loss"}),
    "mlflow:artifacts-list": Case(
        setup=_artifact, ids_in_body="detail",
        methods={"get": lambda ids: {"path": ids["artifact_path"].rsplit("/", 1)[0]}}),
    "mlflow:artifact": Case(setup=_artifact, methods={"get": None, "put": Raw(b"new bytes")}),
}

PUBLIC_ROUTES = {
    "mlflow:experiments-create": "takes no id; creates in the requesting user's account",
}
