"""Experiments API routes under /api/v1/."""

from django.urls import path

from . import apis

urlpatterns = [
    path("experiments/", apis.ExperimentListCreateApi.as_view(), name="experiment-list"),
    path("experiments/runs/compare/", apis.RunCompareApi.as_view(), name="run-compare"),
    path(
        "experiments/<int:experiment_id>/",
        apis.ExperimentDetailApi.as_view(),
        name="experiment-detail",
    ),
    path(
        "experiments/<int:experiment_id>/runs/",
        apis.ExperimentRunListCreateApi.as_view(),
        name="experiment-run-list",
    ),
    path("runs/<int:run_id>/", apis.RunDetailApi.as_view(), name="run-detail"),
    path("runs/<int:run_id>/params/", apis.RunParamsApi.as_view(), name="run-params"),
    path("runs/<int:run_id>/metrics/", apis.RunMetricsApi.as_view(), name="run-metrics"),
    # Keys may hold slashes ("train/loss"), hence the path converter.
    path(
        "runs/<int:run_id>/metrics/<path:key>/",
        apis.RunMetricSeriesApi.as_view(),
        name="run-metric-series",
    ),
    path(
        "runs/<int:run_id>/artifacts/",
        apis.RunArtifactListUploadApi.as_view(),
        name="run-artifacts",
    ),
    path(
        "runs/<int:run_id>/artifacts/<int:artifact_id>/",
        apis.RunArtifactDetailApi.as_view(),
        name="run-artifact-detail",
    ),
    path(
        "runs/<int:run_id>/artifacts/<int:artifact_id>/download/",
        apis.RunArtifactDownloadApi.as_view(),
        name="run-artifact-download",
    ),
]
