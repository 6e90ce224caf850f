"""Staff administration of collections and documents; chunks are derived from documents, so
they are view-only (their text, not their embedding vectors)."""

from django.contrib import admin

from apps.core.admin import DerivedRowAdmin

from .models import Chunk, Collection, Document


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


@admin.register(Chunk)
class ChunkAdmin(DerivedRowAdmin):
    list_display = ["id", "document", "index", "collection", "owner"]
    list_select_related = ["document", "collection", "owner"]
    search_fields = ["document__name", "owner__email"]
    fields = ["owner", "collection", "document", "index", "text"]
