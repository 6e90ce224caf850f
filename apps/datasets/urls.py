"""Dataset API routes under /api/v1/."""

from django.urls import path

from . import apis

urlpatterns = [
    path("datasets/", apis.DatasetListCreateApi.as_view(), name="dataset-list"),
    path("datasets/<int:dataset_id>/", apis.DatasetDetailApi.as_view(), name="dataset-detail"),
    path("datasets/<int:dataset_id>/versions/", apis.DatasetVersionListUploadApi.as_view(), name="dataset-versions"),
    path("dataset-versions/<int:version_id>/", apis.DatasetVersionDetailApi.as_view(), name="dataset-version-detail"),
    path("dataset-versions/<int:version_id>/download/", apis.DatasetVersionDownloadApi.as_view(), name="dataset-version-download"),
    path("storage/", apis.StorageUsageApi.as_view(), name="storage-usage"),
]
