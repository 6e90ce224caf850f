"""Registry API routes under /api/v1/."""

from django.urls import path

from . import apis, hub_apis

urlpatterns = [
    path("models/", apis.RegisteredModelListApi.as_view(), name="model-list"),
    path("models/<int:model_id>/", apis.RegisteredModelDetailApi.as_view(), name="model-detail"),
    path("models/<int:model_id>/versions/", apis.ModelVersionListApi.as_view(), name="model-versions"),
    path("model-versions/from-run/", apis.ModelVersionFromRunApi.as_view(), name="model-version-from-run"),
    path("model-versions/upload/", apis.ModelVersionUploadApi.as_view(), name="model-version-upload"),
    path("model-versions/starter/", apis.StarterModelApi.as_view(), name="model-version-starter"),
    path("model-versions/<int:version_id>/", apis.ModelVersionDetailApi.as_view(), name="model-version-detail"),
    path("model-versions/<int:version_id>/stage/", apis.ModelVersionStageApi.as_view(), name="model-version-stage"),
    path("model-versions/<int:version_id>/lineage/", apis.ModelVersionLineageApi.as_view(), name="model-version-lineage"),
    path("model-versions/<int:version_id>/exports/", apis.ModelExportCreateApi.as_view(), name="model-version-exports"),
    path("model-versions/<int:version_id>/evaluations/", apis.ModelEvaluationCreateApi.as_view(), name="model-version-evaluations"),
    path("model-versions/<int:version_id>/download/", apis.ModelVersionDownloadApi.as_view(), name="model-version-download"),
    path("model-versions/<int:version_id>/adapter/", apis.ModelVersionAdapterDownloadApi.as_view(), name="model-version-adapter"),
    path("model-exports/<int:export_id>/download/", apis.ModelExportDownloadApi.as_view(), name="model-export-download"),
    path("dataset-versions/<int:version_id>/models/", apis.DatasetVersionModelsApi.as_view(), name="dataset-version-models"),
    path("models/<int:model_id>/hub/inspect/", hub_apis.HubInspectApi.as_view(), name="model-hub-inspect"),
    path("models/<int:model_id>/hub/pull/", hub_apis.HubPullApi.as_view(), name="model-hub-pull"),
    path("me/hub-token/", hub_apis.HubTokenApi.as_view(), name="hub-token"),
]
