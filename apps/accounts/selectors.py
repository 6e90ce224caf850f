"""Reads for accounts, scoped to the requesting user."""

from django.db.models import QuerySet

from apps.core.selectors import owned_queryset

from .models import ApiToken


def api_token_list(*, user) -> QuerySet[ApiToken]:
    return owned_queryset(ApiToken, user=user).filter(revoked_at__isnull=True)
