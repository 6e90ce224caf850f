"""Staff views of registered models, versions, stage history and exports."""

from django.contrib import admin

from .models import ModelExport, ModelVersion, RegisteredModel, StageTransition


@admin.register(RegisteredModel)
class RegisteredModelAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "target_personality_version", "updated_at"]
    search_fields = ["name", "owner__email"]
    raw_id_fields = ["target_personality_version"]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["registered_model", "major", "minor", "patch", "stage", "status", "source"]
    list_filter = ["stage", "status", "source"]
    raw_id_fields = ["base_version", "personality_version", "training_run", "dataset_version"]
    readonly_fields = ["stage"]  # stage moves go through the product: gate and history


@admin.register(StageTransition)
class StageTransitionAdmin(admin.ModelAdmin):
    list_display = ["model_version", "from_stage", "to_stage", "user", "at", "note"]
    readonly_fields = ["gate"]


@admin.register(ModelExport)
class ModelExportAdmin(admin.ModelAdmin):
    list_display = ["model_version", "qtype", "format", "status", "size_bytes"]
