"""RAG API routes under /api/v1/rag/."""

from django.urls import path

from .apis import (
    CollectionDetailApi,
    CollectionListCreateApi,
    DocumentChunkApi,
    DocumentDetailApi,
    DocumentListUploadApi,
    SearchApi,
)

urlpatterns = [
    path("rag/collections/", CollectionListCreateApi.as_view(), name="rag-collections"),
    path(
        "rag/collections/<int:collection_id>/",
        CollectionDetailApi.as_view(),
        name="rag-collection-detail",
    ),
    path(
        "rag/collections/<int:collection_id>/documents/",
        DocumentListUploadApi.as_view(),
        name="rag-documents",
    ),
    path(
        "rag/documents/<int:document_id>/", DocumentDetailApi.as_view(), name="rag-document-detail"
    ),
    path(
        "rag/documents/<int:document_id>/chunks/<int:chunk_index>/",
        DocumentChunkApi.as_view(),
        name="rag-document-chunk",
    ),
    path("rag/search/", SearchApi.as_view(), name="rag-search"),
]
