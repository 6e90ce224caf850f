"""MLflow-compatible routes under /api/2.0/ (MLflow's paths, so its clients find them)."""

from django.urls import path

from . import apis

urlpatterns = [
    path("mlflow/experiments/create", apis.ExperimentCreateApi.as_view(), name="experiments-create"),
    path("mlflow/experiments/get", apis.ExperimentGetApi.as_view(), name="experiments-get"),
    path("mlflow/experiments/get-by-name", apis.ExperimentGetByNameApi.as_view(),
         name="experiments-get-by-name"),
    path("mlflow/experiments/search", apis.ExperimentSearchApi.as_view(), name="experiments-search"),
    path("mlflow/runs/create", apis.RunCreateApi.as_view(), name="runs-create"),
    path("mlflow/runs/get", apis.RunGetApi.as_view(), name="runs-get"),
    path("mlflow/runs/update", apis.RunUpdateApi.as_view(), name="runs-update"),
    path("mlflow/runs/delete", apis.RunDeleteApi.as_view(), name="runs-delete"),
    path("mlflow/runs/search", apis.RunSearchApi.as_view(), name="runs-search"),
    path("mlflow/runs/log-metric", apis.RunLogMetricApi.as_view(), name="runs-log-metric"),
    path("mlflow/runs/log-parameter", apis.RunLogParamApi.as_view(), name="runs-log-parameter"),
    path("mlflow/runs/set-tag", apis.RunSetTagApi.as_view(), name="runs-set-tag"),
    path("mlflow/runs/log-batch", apis.RunLogBatchApi.as_view(), name="runs-log-batch"),
    path("mlflow/metrics/get-history", apis.MetricHistoryApi.as_view(),
         name="metrics-get-history"),
    path("mlflow-artifacts/artifacts", apis.ArtifactListApi.as_view(), name="artifacts-list"),
    path("mlflow-artifacts/artifacts/<path:artifact_path>", apis.ArtifactApi.as_view(),
         name="artifact"),
]
