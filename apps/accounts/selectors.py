"""Reads for accounts, scoped to the requesting user."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.core.selectors import owned_queryset

from .models import ApiToken


def api_token_list(*, user) -> QuerySet[ApiToken]:
    return owned_queryset(ApiToken, user=user).filter(revoked_at__isnull=True)


def api_token_is_live(*, token_id: int) -> bool:
    """Whether the token still authenticates: not revoked, not expired, its owner active."""
    return ApiToken.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()),
        pk=token_id, revoked_at__isnull=True, owner__is_active=True,
    ).exists()
