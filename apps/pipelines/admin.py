"""Staff view of recipes, their versions and runs, and materialized features. What the
worker writes (reports, statistics, leases) is view-only."""

from django.contrib import admin

from .models import FeatureMaterialization, Recipe, RecipeRun, RecipeRunOutput, RecipeVersion


@admin.register(Recipe)
class RecipeAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "owner", "team", "created_at"]
    search_fields = ["name"]
    raw_id_fields = ["owner", "team"]


@admin.register(RecipeVersion)
class RecipeVersionAdmin(admin.ModelAdmin):
    list_display = ["id", "recipe", "number", "owner", "created_at"]
    raw_id_fields = ["owner", "recipe"]
    readonly_fields = ["steps"]


class RecipeRunOutputInline(admin.TabularInline):
    model = RecipeRunOutput
    raw_id_fields = ["dataset_version"]
    readonly_fields = ["part", "records"]
    extra = 0


@admin.register(RecipeRun)
class RecipeRunAdmin(admin.ModelAdmin):
    list_display = ["id", "recipe_version", "owner", "status", "created_at", "finished_at"]
    list_filter = ["status"]
    raw_id_fields = ["owner", "recipe_version"]
    readonly_fields = ["inputs", "progress", "report", "lease_owner", "heartbeat_at", "started_at", "finished_at"]
    inlines = [RecipeRunOutputInline]


@admin.register(FeatureMaterialization)
class FeatureMaterializationAdmin(admin.ModelAdmin):
    list_display = ["id", "dataset_version", "group", "status", "rows", "finished_at"]
    list_filter = ["status", "group"]
    raw_id_fields = ["owner", "dataset_version"]
    readonly_fields = ["feature_versions", "statistics", "rows", "lease_owner", "heartbeat_at", "finished_at"]


@admin.register(RecipeRunOutput)
class RecipeRunOutputAdmin(admin.ModelAdmin):
    list_display = ["id", "run", "part", "dataset_version", "records"]
    list_filter = ["part"]
    raw_id_fields = ["run", "dataset_version"]
    readonly_fields = ["part", "records"]
