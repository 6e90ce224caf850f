"""Staff views of personalities and their versions; built-ins are listed with no owner."""

from django.contrib import admin

from .models import Personality, PersonalityVersion


@admin.register(Personality)
class PersonalityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "owner", "archetype", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["name", "owner__email"]
    raw_id_fields = ["current_version"]


@admin.register(PersonalityVersion)
class PersonalityVersionAdmin(admin.ModelAdmin):
    list_display = ["personality", "number", "status", "progress", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["spec", "artifacts", "provenance", "metrics"]
