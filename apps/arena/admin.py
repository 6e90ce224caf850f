"""Admin views of arena battles and their replies (read mostly; for support)."""

from django.contrib import admin

from .models import Battle, BattleReply


class BattleReplyInline(admin.TabularInline):
    model = BattleReply
    extra = 0
    raw_id_fields = ("owner", "model_version")
    fields = ("side", "model_name", "model_version", "status", "completion_tokens")


@admin.register(Battle)
class BattleAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "conversation", "vote", "created_at")
    list_filter = ("vote",)
    search_fields = ("owner__email",)
    raw_id_fields = ("owner", "conversation")
    inlines = [BattleReplyInline]


@admin.register(BattleReply)
class BattleReplyAdmin(admin.ModelAdmin):
    list_display = ("id", "battle", "side", "model_name", "status", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("owner", "battle", "model_version")
