"""Admin views of experiments, runs and artifacts, and view-only pages of the metric rows
ingestion keeps (series summaries, idempotent batches, points and rollups)."""

from django.contrib import admin

from apps.core.admin import DerivedRowAdmin

from .models import Artifact, Experiment, MetricBatch, MetricPoint, MetricRollup, MetricSeries, Run


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


@admin.register(MetricSeries)
class MetricSeriesAdmin(DerivedRowAdmin):
    list_display = ["id", "run", "key", "count", "min_step", "max_step", "last_value"]
    search_fields = ["key"]
    raw_id_fields = ["run"]


@admin.register(MetricBatch)
class MetricBatchAdmin(DerivedRowAdmin):
    list_display = ["id", "run", "key", "count", "created_at"]
    raw_id_fields = ["run"]


@admin.register(MetricPoint)
class MetricPointAdmin(DerivedRowAdmin):
    list_display = ["id", "series", "step", "value", "timestamp"]
    list_select_related = ["series"]
    raw_id_fields = ["series"]


@admin.register(MetricRollup)
class MetricRollupAdmin(DerivedRowAdmin):
    list_display = ["id", "series", "size", "block", "count", "min_value", "max_value", "last_step"]
    list_select_related = ["series"]
    raw_id_fields = ["series"]
