"""Staff view of training runs."""

from django.contrib import admin

from .models import TrainingRun


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "status", "step", "max_steps", "attempts", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["lease_owner", "heartbeat_at", "config"]
