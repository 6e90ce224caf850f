"""Sweep API routes under /api/v1/."""

from django.urls import path

from . import apis

urlpatterns = [
    path("sweeps/", apis.SweepListCreateApi.as_view(), name="sweep-list"),
    path("sweeps/<int:sweep_id>/", apis.SweepDetailApi.as_view(), name="sweep-detail"),
    path("sweeps/<int:sweep_id>/pause/", apis.SweepPauseApi.as_view(), name="sweep-pause"),
    path("sweeps/<int:sweep_id>/resume/", apis.SweepResumeApi.as_view(), name="sweep-resume"),
    path("sweeps/<int:sweep_id>/cancel/", apis.SweepCancelApi.as_view(), name="sweep-cancel"),
    path("sweeps/<int:sweep_id>/importances/", apis.SweepImportancesApi.as_view(), name="sweep-importances"),
    path("sweeps/<int:sweep_id>/trials/", apis.SweepTrialListApi.as_view(), name="sweep-trials"),
    path("sweeps/<int:sweep_id>/trials/next/", apis.SweepTrialNextApi.as_view(), name="sweep-trial-next"),
    path("sweeps/<int:sweep_id>/trials/<int:trial_id>/report/", apis.SweepTrialReportApi.as_view(),
         name="sweep-trial-report"),
    path("sweeps/<int:sweep_id>/trials/<int:trial_id>/heartbeat/", apis.SweepTrialHeartbeatApi.as_view(),
         name="sweep-trial-heartbeat"),
    path("sweeps/<int:sweep_id>/trials/<int:trial_id>/finish/", apis.SweepTrialFinishApi.as_view(),
         name="sweep-trial-finish"),
]
