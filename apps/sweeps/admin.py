"""Staff view of sweeps and their trials."""

from django.contrib import admin

from .models import Sweep, Trial


@admin.register(Sweep)
class SweepAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "owner", "kind", "sampler", "pruner", "status", "max_trials", "created_at"]
    list_filter = ["status", "kind", "sampler"]
    raw_id_fields = ["experiment", "dataset_version", "best_trial"]
    readonly_fields = ["study_name", "lease_owner", "heartbeat_at"]


@admin.register(Trial)
class TrialAdmin(admin.ModelAdmin):
    list_display = ["id", "sweep", "number", "state", "objective", "created_at"]
    list_filter = ["state"]
    raw_id_fields = ["sweep", "run", "training_run"]
