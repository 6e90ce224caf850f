"""Staff views of inference records (read-only: they are measurements) and usage rollups."""

from django.contrib import admin

from .models import InferenceRecord, UsageRollup


@admin.register(InferenceRecord)
class InferenceRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "source", "status", "model_version", "user", "ttft_ms", "created_at"]
    # A version shows as its model's name: one join instead of two queries per row.
    list_select_related = ["model_version__registered_model", "user"]
    list_filter = ["source", "status"]
    raw_id_fields = ["model_version", "user", "message"]
    exclude = ["prompt_embedding"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(UsageRollup)
class UsageRollupAdmin(admin.ModelAdmin):
    list_display = ["bucket_start", "granularity", "model_version", "requests", "errors"]
    list_select_related = ["model_version__registered_model"]
    list_filter = ["granularity"]
    raw_id_fields = ["model_version"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
