"""Quota API routes under /api/v1/."""

from django.urls import path

from . import apis

urlpatterns = [
    path("usage/", apis.UsageApi.as_view(), name="usage"),
    path("teams/<int:team_id>/usage/", apis.TeamUsageApi.as_view(), name="team-usage"),
    path("staff/quotas/<str:kind>/<int:account_id>/", apis.StaffQuotaApi.as_view(), name="staff-quota"),
]
