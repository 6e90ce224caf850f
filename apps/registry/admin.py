"""Staff views of registered models, versions, stage history and exports."""

from django.contrib import admin

from .models import ModelExport, ModelVersion, RegisteredModel, StageTransition


@admin.register(RegisteredModel)
class RegisteredModelAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "updated_at"]
    search_fields = ["name", "owner__email"]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["registered_model", "major", "minor", "patch", "stage", "status", "source"]
    list_filter = ["stage", "status", "source"]


@admin.register(StageTransition)
class StageTransitionAdmin(admin.ModelAdmin):
    list_display = ["model_version", "from_stage", "to_stage", "user", "at"]


@admin.register(ModelExport)
class ModelExportAdmin(admin.ModelAdmin):
    list_display = ["model_version", "qtype", "status", "size_bytes"]
