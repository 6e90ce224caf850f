"""Admin views of conversations and messages (read mostly; for support)."""

from django.contrib import admin

from .models import Conversation, Message


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "owner", "model_version", "personality_version", "updated_at")
    search_fields = ("title", "owner__email")
    raw_id_fields = ("owner", "model_version", "personality_version")
    list_select_related = ("owner", "model_version", "personality_version__personality")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "conversation", "role", "status", "completion_tokens", "ttft_ms", "created_at")
    list_filter = ("role", "status", "feedback")
    raw_id_fields = ("owner", "conversation")
