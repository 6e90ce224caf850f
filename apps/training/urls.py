"""Training-run API routes under /api/v1/."""

from django.urls import path

from . import apis

urlpatterns = [
    path("training-runs/", apis.TrainingRunListCreateApi.as_view(), name="training-run-list"),
    path("training-runs/<int:training_run_id>/", apis.TrainingRunDetailApi.as_view(), name="training-run-detail"),
    path("training-runs/<int:training_run_id>/cancel/", apis.TrainingRunCancelApi.as_view(), name="training-run-cancel"),
    path("training-runs/<int:training_run_id>/log/", apis.TrainingRunLogApi.as_view(), name="training-run-log"),
    path("training-runs/<int:training_run_id>/resume/", apis.TrainingRunResumeApi.as_view(), name="training-run-resume"),
]
