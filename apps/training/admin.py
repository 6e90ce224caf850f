"""Staff view of training runs, and view-only pages of the log lines they keep."""

from django.contrib import admin

from apps.core.admin import DerivedRowAdmin

from .models import TrainingLogLine, TrainingRun


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "status", "step", "max_steps", "attempts", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["lease_owner", "heartbeat_at", "config"]


@admin.register(TrainingLogLine)
class TrainingLogLineAdmin(DerivedRowAdmin):
    list_display = ["id", "training_run", "line", "created_at"]
    raw_id_fields = ["training_run"]
