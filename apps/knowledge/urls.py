"""Knowledge graph API routes under /api/v1/."""

from django.urls import path

from .apis import CollectionGraphApi, EntityDetailApi

urlpatterns = [
    path("collections/<int:collection_id>/graph/", CollectionGraphApi.as_view(),
         name="knowledge-collection-graph"),
    path("entities/<int:entity_id>/", EntityDetailApi.as_view(), name="knowledge-entity-detail"),
]
