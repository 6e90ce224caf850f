"""Staff view of training runs, and view-only pages of the log lines they keep and the
compute they used per month."""

from django.contrib import admin

from apps.core.admin import DerivedRowAdmin

from .models import TrainingComputeUsage, TrainingLogLine, TrainingRun


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "status", "step", "max_steps", "attempts", "cpu_seconds", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["lease_owner", "heartbeat_at", "dispatched_at", "dispatch_id", "cpu_seconds",
                       "gpu_seconds", "config"]


@admin.register(TrainingLogLine)
class TrainingLogLineAdmin(DerivedRowAdmin):
    list_display = ["id", "training_run", "line", "created_at"]
    raw_id_fields = ["training_run"]


@admin.register(TrainingComputeUsage)
class TrainingComputeUsageAdmin(DerivedRowAdmin):
    list_display = ["id", "training_run", "month", "team", "account_user", "user", "cpu_seconds", "gpu_seconds"]
    raw_id_fields = ["training_run", "team", "account_user", "user"]
