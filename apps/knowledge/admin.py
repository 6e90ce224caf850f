"""Staff views of knowledge graphs: derived from documents by the worker, so view-only
(names and sentences, not embedding vectors)."""

from django.contrib import admin

from apps.core.admin import DerivedRowAdmin

from .models import Entity, Mention, Relation


@admin.register(Entity)
class EntityAdmin(DerivedRowAdmin):
    list_display = ["name", "label", "collection", "owner"]
    list_select_related = ["collection", "owner"]
    search_fields = ["name", "owner__email"]
    fields = ["owner", "collection", "name", "normalized_name", "label", "aliases"]


@admin.register(Relation)
class RelationAdmin(DerivedRowAdmin):
    list_display = ["id", "subject", "predicate", "object", "collection", "owner"]
    list_select_related = ["subject", "object", "collection", "owner"]
    search_fields = ["predicate", "subject__name", "object__name", "owner__email"]
    fields = ["owner", "collection", "subject", "predicate", "object", "chunk", "sentence",
              "sentence_start", "sentence_end"]


@admin.register(Mention)
class MentionAdmin(DerivedRowAdmin):
    list_display = ["id", "entity", "chunk", "start", "end", "owner"]
    list_select_related = ["entity", "chunk", "owner"]
    search_fields = ["entity__name", "owner__email"]
    fields = ["owner", "collection", "entity", "chunk", "start", "end"]
