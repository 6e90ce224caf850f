"""Staff views of personalities and their versions (built-ins are listed with no owner),
evaluations and applications. A version is immutable (the loader caches it by id, so an edit
would never reach a worker that loaded it) and the built-ins are ml's archetypes: both are
view-only here. Staff may redescribe a user's personality; behaviour changes go through the
product, which makes a new version."""

from django.contrib import admin

from .models import Personality, PersonalityApplication, PersonalityEvaluation, PersonalityVersion


@admin.register(Personality)
class PersonalityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "owner", "archetype", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["name", "owner__email"]
    # The name is in a config version's prompt ("You are <name>"); a rename makes a version.
    readonly_fields = ["owner", "name", "kind", "archetype", "current_version"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return (obj is None or not obj.builtin) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return (obj is None or not obj.builtin) and super().has_delete_permission(request, obj)


@admin.register(PersonalityVersion)
class PersonalityVersionAdmin(admin.ModelAdmin):
    list_display = ["personality", "number", "status", "progress", "created_at"]
    list_filter = ["status"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PersonalityEvaluation)
class PersonalityEvaluationAdmin(admin.ModelAdmin):
    list_display = ["id", "model_version", "personality_version", "status", "owner", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["model_version", "personality_version"]
    readonly_fields = ["report", "probe_ids", "lease_owner", "heartbeat_at"]


@admin.register(PersonalityApplication)
class PersonalityApplicationAdmin(admin.ModelAdmin):
    list_display = ["id", "model_version", "personality_version", "method", "status", "owner", "created_at"]
    list_filter = ["method", "status"]
    raw_id_fields = ["model_version", "personality_version", "result_version", "evaluation"]
    readonly_fields = ["options", "summary", "lease_owner", "heartbeat_at"]
