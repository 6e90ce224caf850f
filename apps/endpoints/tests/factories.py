"""Builders for endpoint tests: an endpoint row as registering one stores it (key sealed,
models listed), without asking a server."""

from __future__ import annotations

from django.utils import timezone

from apps.core.sealed import seal, secret_hint
from apps.endpoints.models import RemoteEndpoint


def remote_endpoint(user, name: str = "peer", *, base_url: str = "https://models.example/v1",
                    models: tuple[str, ...] = ("tiny",), api_key: str = "sk-test-secret-key") -> RemoteEndpoint:
    return RemoteEndpoint.objects.create(
        owner=user, name=name, base_url=base_url, api_key_sealed=seal(api_key) if api_key else "",
        api_key_hint=secret_hint(api_key) if api_key else "", model_ids=list(models),
        models_fetched_at=timezone.now())
