"""Staff views of datasets, versions and storage use."""

from django.contrib import admin

from .models import Dataset, DatasetVersion, StorageUsage


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "created_at"]
    search_fields = ["name", "owner__email"]


@admin.register(DatasetVersion)
class DatasetVersionAdmin(admin.ModelAdmin):
    list_display = ["dataset", "number", "filename", "status", "size_bytes", "owner"]
    list_filter = ["status", "format"]
    readonly_fields = ["sha256", "size_bytes", "stored_bytes", "report"]


@admin.register(StorageUsage)
class StorageUsageAdmin(admin.ModelAdmin):
    list_display = ["owner", "used_bytes", "quota_bytes"]
