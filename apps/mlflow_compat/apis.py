"""The MLflow-compatible tracking API under /api/2.0/: the REST subset MLflow's clients use
to log and read runs (`mlflow.set_tracking_uri(<server>)` with the user's API token as
MLFLOW_TRACKING_TOKEN), and the `mlflow-artifacts` routes for run files. Request and answer
shapes follow MLflow's service.proto; errors are MLflow's `{"error_code", "message"}`.
Views parse (messages.py), call one service or selector, and answer (shapes.py)."""

from __future__ import annotations

import io
from pathlib import PurePosixPath

from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, HttpResponse
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import storage as core_storage
from apps.experiments import services as tracking

from . import selectors, services
from .errors import mlflow_error_response
from .messages import (
    ENUM,
    INT64,
    KEY_VALUE,
    METRIC,
    STRING,
    STRINGS,
    read_request,
    require,
)
from .shapes import experiment_json, run_info_json, run_json

# Named in README's MLflow section.
SKIPPED_HEADER = "X-SloughGPT-Skipped-Metrics"


class MlflowApi(APIView):
    # Documented by MLflow's REST reference, not in the /api/v1 schema.
    schema = None

    def get_exception_handler(self):
        return mlflow_error_response


def _run_id(message: dict) -> str:
    # Clients send the id twice: run_id, and run_uuid as older servers read it.
    return message.get("run_id") or require(message, "run_uuid")


def _logged(skipped: int) -> Response:
    """MLflow's empty answer to a logging call, saying how many NaN or infinite metric
    values were left out (MLflow's clients ignore the header; other tools can read it)."""
    return Response({}, headers={SKIPPED_HEADER: str(skipped)} if skipped else None)


def _run_answer(request, run_id) -> Response:
    return Response({"run": run_json(selectors.run_get(user=request.user, run_id=run_id))})


# ---- experiments ---------------------------------------------------------------------------


class ExperimentCreateApi(MlflowApi):
    FIELDS = {"name": STRING, "artifact_location": STRING, "tags": KEY_VALUE}

    def post(self, request):
        message = read_request(request, self.FIELDS)
        experiment = services.experiment_create(user=request.user, name=require(message, "name"),
                                                tags=message["tags"] or [])
        return Response({"experiment_id": str(experiment.pk)})


class ExperimentGetApi(MlflowApi):
    FIELDS = {"experiment_id": STRING}

    def get(self, request):
        message = read_request(request, self.FIELDS)
        experiment = services.experiment_resolve(
            user=request.user, experiment_id=require(message, "experiment_id"))
        return Response({"experiment": experiment_json(experiment)})


class ExperimentGetByNameApi(MlflowApi):
    FIELDS = {"experiment_name": STRING}

    def get(self, request):
        message = read_request(request, self.FIELDS)
        experiment = selectors.experiment_by_name(
            user=request.user, name=require(message, "experiment_name"))
        return Response({"experiment": experiment_json(experiment)})


class ExperimentSearchApi(MlflowApi):
    FIELDS = {"max_results": INT64, "page_token": STRING, "filter": STRING, "order_by": STRINGS,
              "view_type": ENUM}

    def post(self, request):
        message = read_request(request, self.FIELDS)
        experiments, token = selectors.experiment_search(
            user=request.user, filter_text=message["filter"], order_by=message["order_by"],
            max_results=message["max_results"], page_token=message["page_token"],
            view_type=message["view_type"])
        body = {"experiments": [experiment_json(experiment) for experiment in experiments]}
        return Response({**body, "next_page_token": token} if token else body)

    get = post


# ---- runs ----------------------------------------------------------------------------------


class RunCreateApi(MlflowApi):
    FIELDS = {"experiment_id": STRING, "user_id": STRING, "run_name": STRING,
              "start_time": INT64, "tags": KEY_VALUE}

    def post(self, request):
        message = read_request(request, self.FIELDS)
        run = services.run_create(user=request.user, experiment_id=message["experiment_id"] or "0",
                                  run_name=message["run_name"], tags=message["tags"] or [])
        return _run_answer(request, str(run.pk))


class RunGetApi(MlflowApi):
    FIELDS = {"run_id": STRING, "run_uuid": STRING}

    def get(self, request):
        return _run_answer(request, _run_id(read_request(request, self.FIELDS)))


class RunUpdateApi(MlflowApi):
    FIELDS = {"run_id": STRING, "run_uuid": STRING, "status": ENUM, "end_time": INT64,
              "run_name": STRING}

    def post(self, request):
        message = read_request(request, self.FIELDS)
        run = services.run_update(user=request.user, run_id=_run_id(message),
                                  status=message["status"], run_name=message["run_name"])
        return Response({"run_info": run_info_json(run)})


class RunDeleteApi(MlflowApi):
    FIELDS = {"run_id": STRING}

    def post(self, request):
        message = read_request(request, self.FIELDS)
        services.run_delete(user=request.user, run_id=require(message, "run_id"))
        return Response({})


class RunSearchApi(MlflowApi):
    FIELDS = {"experiment_ids": STRINGS, "filter": STRING, "run_view_type": ENUM,
              "max_results": INT64, "order_by": STRINGS, "page_token": STRING}

    def post(self, request):
        message = read_request(request, self.FIELDS)
        runs, token = selectors.run_search(
            user=request.user, experiment_ids=message["experiment_ids"] or [],
            filter_text=message["filter"], order_by=message["order_by"],
            max_results=message["max_results"], page_token=message["page_token"],
            view_type=message["run_view_type"])
        body = {"runs": [run_json(run) for run in runs]}
        return Response({**body, "next_page_token": token} if token else body)


class RunLogMetricApi(MlflowApi):
    FIELDS = {**METRIC, "run_uuid": STRING}

    def post(self, request):
        message = read_request(request, self.FIELDS)
        require(message, "key")
        if message["value"] is None:
            require(message, "value")
        return _logged(services.run_log_batch(user=request.user, run_id=_run_id(message),
                                              metrics=[message], params=[], tags=[]))


class RunLogParamApi(MlflowApi):
    FIELDS = {"run_id": STRING, "run_uuid": STRING, "key": STRING, "value": STRING}

    def post(self, request):
        message = read_request(request, self.FIELDS)
        require(message, "key")
        services.run_log_batch(user=request.user, run_id=_run_id(message), metrics=[],
                               params=[message], tags=[])
        return Response({})


class RunSetTagApi(MlflowApi):
    FIELDS = {"run_id": STRING, "run_uuid": STRING, "key": STRING, "value": STRING}

    def post(self, request):
        message = read_request(request, self.FIELDS)
        require(message, "key")
        services.run_log_batch(user=request.user, run_id=_run_id(message), metrics=[],
                               params=[], tags=[message])
        return Response({})


class RunLogBatchApi(MlflowApi):
    FIELDS = {"run_id": STRING, "metrics": METRIC, "params": KEY_VALUE, "tags": KEY_VALUE}

    def post(self, request):
        message = read_request(request, self.FIELDS)
        return _logged(services.run_log_batch(
            user=request.user, run_id=require(message, "run_id"), metrics=message["metrics"] or [],
            params=message["params"] or [], tags=message["tags"] or []))


class MetricHistoryApi(MlflowApi):
    FIELDS = {"run_id": STRING, "run_uuid": STRING, "metric_key": STRING, "page_token": STRING,
              "max_results": INT64}

    def get(self, request):
        message = read_request(request, self.FIELDS)
        metrics, token = selectors.metric_history(
            user=request.user, run_id=_run_id(message), key=require(message, "metric_key"),
            max_results=message["max_results"], page_token=message["page_token"])
        # The points arrive as JSON text from the database; only the envelope is added here.
        tail = f', "next_page_token": "{token}"' if token else ""
        return HttpResponse(f'{{"metrics": {metrics}{tail}}}', content_type="application/json")


# ---- artifacts -----------------------------------------------------------------------------


class ArtifactApi(MlflowApi):
    """One file at `<experiment_id>/<run_id>/artifacts/<name>`: PUT stores the request body
    as it streams in, GET sends it back as an attachment."""

    def put(self, request, artifact_path: str):
        run, name = selectors.artifact_place(user=request.user, path=artifact_path)
        body = request.stream or io.BytesIO(b"")
        tracking.artifact_upload(user=request.user, run_id=run.pk, path=name,
                                 file=UploadedFile(body, name=PurePosixPath(name).name))
        return Response({})

    def get(self, request, artifact_path: str):
        artifact, path = selectors.artifact_open(user=request.user, path=artifact_path)
        # Always an attachment of opaque bytes: the browser never renders what a user uploaded.
        response = FileResponse(core_storage.open_blob(core_storage.key_of(path)), as_attachment=True,
                                filename=PurePosixPath(artifact.path).name,
                                content_type="application/octet-stream")
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


class ArtifactListApi(MlflowApi):
    FIELDS = {"path": STRING}

    def get(self, request):
        message = read_request(request, self.FIELDS)
        files = selectors.artifact_listing(user=request.user, path=message["path"] or "")
        return Response({"files": files})
