"""Staff administration of remote endpoints; the sealed key is never shown or edited here,
nor the base URL (the stored key would be sent to the server it names)."""

from django.contrib import admin

from .models import RemoteEndpoint


@admin.register(RemoteEndpoint)
class RemoteEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "base_url", "api_key_hint", "models_fetched_at", "updated_at"]
    list_select_related = ["owner"]
    search_fields = ["name", "base_url", "owner__email"]
    exclude = ["api_key_sealed"]
    readonly_fields = ["base_url", "api_key_hint", "model_ids", "models_fetched_at", "last_error"]
