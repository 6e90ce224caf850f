"""Personality API routes under /api/v1/."""

from django.urls import path

from . import apis, application_apis

urlpatterns = [
    path("personalities/", apis.PersonalityListCreateApi.as_view(), name="personality-list"),
    path("personalities/preview/", apis.PersonalityPreviewApi.as_view(), name="personality-preview"),
    path("personalities/<int:personality_id>/", apis.PersonalityDetailApi.as_view(), name="personality-detail"),
    path("personalities/<int:personality_id>/copy/", apis.PersonalityCopyApi.as_view(), name="personality-copy"),
    path("personalities/<int:personality_id>/versions/", apis.PersonalityVersionListApi.as_view(),
         name="personality-versions"),
    path("personalities/<int:personality_id>/score/", apis.PersonalityScoreApi.as_view(), name="personality-score"),
    path("personality-versions/<int:version_id>/", apis.PersonalityVersionDetailApi.as_view(),
         name="personality-version-detail"),
    path("personality-versions/<int:version_id>/download/", apis.PersonalityVersionDownloadApi.as_view(),
         name="personality-version-download"),
    path("personality-applications/", application_apis.PersonalityApplicationListCreateApi.as_view(),
         name="personality-application-list"),
    path("personality-applications/<int:application_id>/", application_apis.PersonalityApplicationDetailApi.as_view(),
         name="personality-application-detail"),
    path("personality-applications/<int:application_id>/report/",
         application_apis.PersonalityApplicationReportApi.as_view(), name="personality-application-report"),
    path("personality-applications/<int:application_id>/chart/",
         application_apis.PersonalityApplicationChartApi.as_view(), name="personality-application-chart"),
    path("personality-evaluations/", application_apis.PersonalityEvaluationListApi.as_view(),
         name="personality-evaluation-list"),
    path("personality-evaluations/<int:evaluation_id>/", application_apis.PersonalityEvaluationDetailApi.as_view(),
         name="personality-evaluation-detail"),
    path("personality-evaluations/<int:evaluation_id>/report/",
         application_apis.PersonalityEvaluationReportApi.as_view(), name="personality-evaluation-report"),
    path("personality-evaluations/<int:evaluation_id>/chart/",
         application_apis.PersonalityEvaluationChartApi.as_view(), name="personality-evaluation-chart"),
    path("personality-probes/", application_apis.PersonalityProbeListApi.as_view(), name="personality-probe-list"),
]
