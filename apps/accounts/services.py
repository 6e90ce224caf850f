"""Writes for accounts: creating, revoking and authenticating personal API tokens. The sockets
a revoked token opened are closed by apps.accounts.signals, as for a token revoked anywhere."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed

from apps.core.selectors import owned_get

from .models import ApiToken, User

TOKEN_SCHEME = "sg"
MAX_TOKENS_PER_USER = 50
# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    secret: str


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str, expires_in_days: int | None = None) -> CreatedToken:
    # Lock the user row so two concurrent creates cannot both pass the limit.
    User.objects.select_for_update().get(pk=user.pk)
    live = ApiToken.objects.filter(owner=user, revoked_at__isnull=True).count()
    if live >= MAX_TOKENS_PER_USER:
        raise ValidationError(
            {"name": [f"You already have {MAX_TOKENS_PER_USER} tokens; revoke one first."]}
        )
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken.objects.create(
        owner=user, name=name.strip(), prefix=prefix, token_hash=_hash(secret), expires_at=expires_at
    )
    return CreatedToken(token=token, secret=secret)


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> None:
    token = owned_get(ApiToken.objects.filter(revoked_at__isnull=True), user=user, pk=token_id)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])


def _parse(raw: str) -> str | None:
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_SCHEME or len(parts[1]) != 8:
        return None
    return parts[1]


def api_token_check(*, raw: str) -> User:
    """The user a raw token belongs to, or AuthenticationFailed saying why."""
    return api_token_find(raw=raw).owner


def api_token_find(*, raw: str) -> ApiToken:
    """The live token a raw secret names (with its owner), or AuthenticationFailed saying why."""
    prefix = _parse(raw)
    token = (
        ApiToken.objects.select_related("owner").filter(prefix=prefix).first() if prefix else None
    )
    if token is None or not hmac.compare_digest(token.token_hash, _hash(raw)):
        raise AuthenticationFailed("Invalid API token.")
    now = timezone.now()
    if token.revoked_at is not None:
        raise AuthenticationFailed("This API token has been revoked.")
    if token.expires_at is not None and token.expires_at <= now:
        raise AuthenticationFailed("This API token has expired.")
    if not token.owner.is_active:
        raise AuthenticationFailed("This account is disabled.")
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """Like api_token_find, but None where that refuses, for callers that do not tell the
    client why (a WebSocket handshake is refused with one close code whatever the reason)."""
    try:
        return api_token_find(raw=raw)
    except AuthenticationFailed:
        return None
