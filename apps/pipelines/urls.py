"""Recipe and feature store API routes under /api/v1/."""

from django.urls import path

from . import apis

urlpatterns = [
    path("recipes/", apis.RecipeListCreateApi.as_view(), name="recipe-list"),
    path("recipes/preview/", apis.RecipePreviewApi.as_view(), name="recipe-preview"),
    path("recipes/<int:recipe_id>/", apis.RecipeDetailApi.as_view(), name="recipe-detail"),
    path("recipes/<int:recipe_id>/runs/", apis.RecipeRunCreateApi.as_view(), name="recipe-run-create"),
    path("recipe-runs/", apis.RecipeRunListApi.as_view(), name="recipe-run-list"),
    path("recipe-runs/<int:run_id>/", apis.RecipeRunDetailApi.as_view(), name="recipe-run-detail"),
    path("recipe-runs/<int:run_id>/cancel/", apis.RecipeRunCancelApi.as_view(), name="recipe-run-cancel"),
    path("recipe-runs/<int:run_id>/rerun/", apis.RecipeRunRerunApi.as_view(), name="recipe-run-rerun"),
    path("feature-groups/", apis.FeatureGroupListApi.as_view(), name="feature-group-list"),
    path("dataset-versions/<int:version_id>/features/", apis.DatasetVersionFeaturesApi.as_view(),
         name="dataset-version-features"),
    path("dataset-versions/<int:version_id>/features/compare/", apis.DatasetVersionFeaturesCompareApi.as_view(),
         name="dataset-version-features-compare"),
    path("dataset-versions/<int:version_id>/records/", apis.DatasetVersionRecordsApi.as_view(),
         name="dataset-version-records"),
]
