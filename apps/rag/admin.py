"""Staff administration of collections and documents (chunks are derived, so not edited)."""

from django.contrib import admin

from .models import Collection, Document


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "chunk_size", "chunk_overlap", "created_at"]
    search_fields = ["name", "owner__email"]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "collection", "format", "status", "chunk_count", "created_at"]
    list_filter = ["status", "format"]
    search_fields = ["name", "owner__email"]
    exclude = ["text"]
    readonly_fields = ["size_bytes", "sha256", "status", "error", "chunk_count"]
