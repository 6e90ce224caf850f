"""Remote OpenAI-compatible endpoints a user registered (another server's `/v1`): where it
is, the API key sent to it (sealed, apps.core.sealed; only a hint is ever shown), and the
models it listed when last asked. Its models are named `remote/<endpoint name>/<model>` in
/v1 and picked by (endpoint, model) in chat, the arena and persona distillation. An
endpoint is its owner's alone: it is never shared, and no one else's reply spends its key."""

from __future__ import annotations

from django.db import models

from apps.core.models import OwnedModel


class RemoteEndpoint(OwnedModel):
    # Letters, digits, ".", "_" and "-" (services.NAME_PATTERN): it is part of model ids.
    name = models.CharField(max_length=64)
    # Ends before "/chat/completions" and "/models", e.g. "https://api.example.com/v1".
    base_url = models.CharField(max_length=500)
    api_key_sealed = models.TextField(blank=True)  # apps.core.sealed.seal of the key; "" for none
    api_key_hint = models.CharField(max_length=16, blank=True)
    # The ids GET {base_url}/models listed when last refreshed.
    model_ids = models.JSONField(default=list, blank=True)
    models_fetched_at = models.DateTimeField(null=True, blank=True)
    # Why the last refresh failed; "" when it worked.
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="endpoints_unique_name_per_owner")]

    def __str__(self) -> str:
        return self.name
