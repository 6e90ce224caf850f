"""Admin views of experiments, runs and artifacts (metric points are too many to list)."""

from django.contrib import admin

from .models import Artifact, Experiment, Run


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "owner", "created_at"]
    search_fields = ["name", "owner__email"]
    raw_id_fields = ["owner"]


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "experiment", "status", "owner", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "owner__email"]
    raw_id_fields = ["owner", "experiment"]


@admin.register(Artifact)
class ArtifactAdmin(admin.ModelAdmin):
    list_display = ["id", "path", "run", "size", "sha256", "owner"]
    search_fields = ["path", "sha256"]
    raw_id_fields = ["owner", "run"]
