"""Staff views of personalities and their versions (built-ins are listed with no owner),
evaluations and applications."""

from django.contrib import admin

from .models import Personality, PersonalityApplication, PersonalityEvaluation, PersonalityVersion


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
