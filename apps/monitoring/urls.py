"""Monitoring API routes under /api/v1/: per-version and site-wide series, traces, drift and
alerts (each part adds its routes here)."""

from django.urls import path

from . import alert_apis, apis, drift_apis

urlpatterns: list = [
    path("model-versions/<int:version_id>/monitoring/", apis.ModelVersionMonitoringApi.as_view(),
         name="model-version-monitoring"),
    path("monitoring/site/", apis.SiteMonitoringApi.as_view(), name="site-monitoring"),
    path("monitoring/traces/", apis.TraceListApi.as_view(), name="traces"),
    path("monitoring/traces/<int:trace_id>/", apis.TraceDetailApi.as_view(), name="trace-detail"),
    path("monitoring/model-versions/<int:version_id>/drift/", drift_apis.DriftLatestApi.as_view(), name="drift-latest"),
    path("monitoring/model-versions/<int:version_id>/drift/history/", drift_apis.DriftHistoryApi.as_view(),
         name="drift-history"),
    path("monitoring/model-versions/<int:version_id>/drift/settings/", drift_apis.DriftSettingsApi.as_view(),
         name="drift-settings"),
    path("monitoring/model-versions/<int:version_id>/drift/check/", drift_apis.DriftCheckApi.as_view(),
         name="drift-check"),
    path("alerts/rules/", alert_apis.AlertRuleListCreateApi.as_view(), name="alert-rule-list"),
    path("alerts/rules/<int:rule_id>/", alert_apis.AlertRuleDetailApi.as_view(), name="alert-rule-detail"),
    path("alerts/rules/<int:rule_id>/rotate-secret/", alert_apis.AlertRuleRotateSecretApi.as_view(),
         name="alert-rule-rotate-secret"),
    path("alerts/series/", alert_apis.AlertSeriesApi.as_view(), name="alert-series"),
    path("alerts/events/", alert_apis.AlertEventListApi.as_view(), name="alert-event-list"),
]
