"""Staff views of registered models, versions, stage history, exports, hub pulls and users'
hub tokens (whose sealed token is never shown or edited here, only its hint)."""

from django.contrib import admin

from .models import HubPull, HubToken, ModelExport, ModelVersion, RegisteredModel, StageTransition


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


@admin.register(HubPull)
class HubPullAdmin(admin.ModelAdmin):
    list_display = ["model_version", "repo_id", "filename", "commit_sha", "bytes_done", "bytes_total"]
    list_select_related = ["model_version__registered_model"]
    search_fields = ["repo_id"]
    # What a pull fetched and from where: its task reads these, so they are not edited here.
    readonly_fields = ["model_version", "endpoint", "repo_id", "revision", "filename", "commit_sha", "license",
                       "bytes_done", "bytes_total"]


@admin.register(HubToken)
class HubTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "hint", "updated_at"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    exclude = ["sealed"]
    readonly_fields = ["user", "hint"]
