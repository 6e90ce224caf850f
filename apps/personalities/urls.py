"""Personality API routes under /api/v1/."""

from django.urls import path

from . import apis

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
]
