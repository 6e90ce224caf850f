"""Access-matrix cases for the experiment tracking routes (apps/core/ownership.py): runs,
metrics and artifacts are reached through their experiment."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from apps.core.ownership import Case, Raw

from .factories import log_series, make_artifact, make_experiment, make_run

MARKER = "owner-secret-experiment-marker"


def _experiment(user):
    experiment = make_experiment(user, name=MARKER)
    return {"experiment_id": experiment.pk}, MARKER


def _run(user):
    run = make_run(user, name=MARKER)
    return {"run_id": run.pk}, MARKER


def _series(user):
    run = make_run(user, name=MARKER)
    log_series(user, run, "loss", [3.0, 2.0, 1.0])
    return {"run_id": run.pk, "key": "loss"}, MARKER


def _artifact(user):
    run = make_run(user, name=MARKER)
    artifact = make_artifact(user, run, name=f"{MARKER}.bin")
    return {"run_id": run.pk, "artifact_id": artifact.pk}, MARKER


def _upload(ids):
    upload = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    return Raw(encode_multipart(BOUNDARY, {"file": upload}), content_type=MULTIPART_CONTENT)


OWNED_ROUTES = {
    "api-v1:experiment-list": Case(setup=_experiment),
    "api-v1:experiment-detail": Case(
        setup=_experiment, methods={"get": None, "patch": {"name": "taken"}, "delete": None}
    ),
    "api-v1:experiment-run-list": Case(
        setup=_experiment, methods={"get": None, "post": {"name": "another-run"}}
    ),
    # Without ids, compare shows the user's latest runs: another user's must not appear.
    "api-v1:run-compare": Case(setup=_run),
    "api-v1:run-detail": Case(
        setup=_run, methods={"get": None, "patch": {"notes": "mine now"}, "delete": None}
    ),
    "api-v1:run-params": Case(setup=_run, methods={"post": {"params": {"lr": 0.1}}}),
    "api-v1:run-metrics": Case(
        setup=_run,
        methods={"get": None, "post": {"metrics": [{"key": "loss", "value": 1.0, "step": 1}]}},
    ),
    "api-v1:run-metric-series": Case(setup=_series),
    "api-v1:run-artifacts": Case(setup=_run, methods={"get": None, "post": _upload}),
    "api-v1:run-artifact-detail": Case(setup=_artifact, methods={"delete": None}),
    "api-v1:run-artifact-download": Case(setup=_artifact),
}
