"""Remote endpoint API routes under /api/v1/."""

from django.urls import path

from . import apis

urlpatterns = [
    path("endpoints/", apis.EndpointListCreateApi.as_view(), name="endpoints"),
    path("endpoints/<int:endpoint_id>/", apis.EndpointDetailApi.as_view(), name="endpoint-detail"),
    path("endpoints/<int:endpoint_id>/refresh/", apis.EndpointRefreshApi.as_view(), name="endpoint-refresh"),
]
