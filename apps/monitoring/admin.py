"""Staff views of inference records and usage rollups, drift settings and results, and alert
rules with the events, deliveries and attempts they led to. What the platform writes
(measurements, test results, notices) is view-only; settings and rules stay editable."""

from django.contrib import admin

from apps.core.admin import DerivedRowAdmin

from .models import (
    AlertDelivery,
    AlertDeliveryAttempt,
    AlertEvent,
    AlertRule,
    DriftReferenceSample,
    DriftResult,
    DriftSettings,
    InferenceRecord,
    UsageRollup,
)


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


@admin.register(DriftSettings)
class DriftSettingsAdmin(admin.ModelAdmin):
    list_display = ["model_version", "reference_dataset_version", "window_hours", "min_requests", "alpha",
                    "updated_at"]
    list_select_related = ["model_version__registered_model", "reference_dataset_version__dataset"]
    raw_id_fields = ["model_version", "reference_dataset_version"]


@admin.register(DriftResult)
class DriftResultAdmin(DerivedRowAdmin):
    list_display = ["model_version", "kind", "window_end", "status", "statistic", "p_value", "drifted"]
    list_select_related = ["model_version__registered_model"]
    list_filter = ["kind", "status", "drifted"]


@admin.register(DriftReferenceSample)
class DriftReferenceSampleAdmin(DerivedRowAdmin):
    list_display = ["id", "dataset_version", "reply_chars", "refused"]
    list_select_related = ["dataset_version__dataset"]
    exclude = ["prompt_embedding"]


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "model_version", "series", "comparison", "threshold", "enabled",
                    "last_evaluated_at"]
    list_select_related = ["owner", "model_version__registered_model"]
    list_filter = ["enabled", "window"]
    search_fields = ["name", "owner__email", "series"]
    raw_id_fields = ["owner", "model_version"]
    # The signing key is the owner's secret; the URL was checked against private addresses
    # when its owner saved it, so staff see it but change it only through the product.
    exclude = ["webhook_secret"]
    readonly_fields = ["webhook_url", "last_evaluated_at", "last_value", "last_note"]


@admin.register(AlertEvent)
class AlertEventAdmin(DerivedRowAdmin):
    list_display = ["rule", "fired_at", "resolved_at", "value", "message"]
    list_select_related = ["rule"]


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(DerivedRowAdmin):
    list_display = ["id", "event", "channel", "notice", "status", "attempts", "delivered_at"]
    list_select_related = ["event__rule"]
    list_filter = ["channel", "status"]


@admin.register(AlertDeliveryAttempt)
class AlertDeliveryAttemptAdmin(DerivedRowAdmin):
    list_display = ["delivery", "number", "at", "ok", "status_code", "error"]
    list_select_related = ["delivery"]
    list_filter = ["ok"]
