"""Account API routes under /api/v1/."""

from django.urls import path

from .apis import ApiTokenListCreateApi, ApiTokenRevokeApi, MeApi

urlpatterns = [
    path("me/", MeApi.as_view(), name="me"),
    path("tokens/", ApiTokenListCreateApi.as_view(), name="tokens"),
    path("tokens/<int:token_id>/", ApiTokenRevokeApi.as_view(), name="token-detail"),
]
