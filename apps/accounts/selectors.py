"""Reads for accounts, scoped to the requesting user."""

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.core.selectors import owned_queryset

from .models import ApiToken


def api_token_list(*, user) -> QuerySet[ApiToken]:
    return owned_queryset(ApiToken, user=user).filter(revoked_at__isnull=True)


def api_token_is_live(*, token_id: int, owner_id: int) -> bool:
    """Whether the token still authenticates `owner_id`: not revoked, not expired, its owner
    active and still the same."""
    return ApiToken.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()),
        pk=token_id, owner_id=owner_id, revoked_at__isnull=True, owner__is_active=True,
    ).exists()


def api_token_expires_at(*, token_id: int) -> datetime | None:
    """When the token expires (None: never, or no such token)."""
    return ApiToken.objects.filter(pk=token_id).values_list("expires_at", flat=True).first()
