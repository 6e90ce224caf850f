"""Staff views of datasets and versions (storage use: apps.quotas)."""

from django.contrib import admin

from .models import Dataset, DatasetVersion


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "created_at"]
    search_fields = ["name", "owner__email"]


@admin.register(DatasetVersion)
class DatasetVersionAdmin(admin.ModelAdmin):
    list_display = ["dataset", "number", "filename", "status", "size_bytes", "owner"]
    list_filter = ["status", "format"]
    readonly_fields = ["sha256", "size_bytes", "stored_bytes", "report"]

