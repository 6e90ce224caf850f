"""Writes of remote endpoints: register one (its base URL checked by apps.core.outbound and
its models fetched before anything is stored, so a URL that is refused, times out or answers
something else is a 400 on that field), change it, refresh its model list, delete it. The API
key is sealed (apps.core.sealed) and only its hint is kept readable."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.outbound import OutboundError, outbound_check
from apps.core.sealed import seal, secret_hint

from .client import RemoteError, models_fetch
from .generation import endpoint_key
from .models import RemoteEndpoint
from .selectors import endpoint_get, endpoint_list

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_KEY_CHARS = 1000


def _check_name(*, user, name: str, exclude: int | None = None) -> str:
    name = name.strip()
    if not NAME_PATTERN.match(name):
        raise ValidationError({"name": ["use 1 to 64 letters, digits, '.', '_' or '-', starting with a "
                                        "letter or digit (it becomes part of the model names)"]})
    if endpoint_list(user=user).filter(name=name).exclude(pk=exclude).exists():
        raise ValidationError({"name": [f"you already have an endpoint named {name}"]})
    return name


def _printable(text: str) -> bool:
    """No spaces or control characters: what a URL or a header value may carry as it is."""
    return all(0x21 <= ord(char) <= 0x7E for char in text)


def _check_base_url(base_url: str) -> str:
    """The base URL without a trailing slash, once apps.core.outbound accepts it."""
    base_url = base_url.strip().rstrip("/")
    if not _printable(base_url):
        raise ValidationError({"base_url": ["use an http(s) URL without spaces or non-ASCII characters "
                                            "(percent-encode them)"]})
    try:
        outbound_check(base_url)
    except OutboundError as exc:
        raise ValidationError({"base_url": [str(exc)]}) from None
    return base_url


def _check_key(api_key: str) -> str:
    if not _printable(api_key):
        raise ValidationError({"api_key": ["paste the key as the server gave it: printable ASCII, no spaces"]})
    return api_key


def _fetched(base_url: str, api_key: str) -> list[str]:
    try:
        return models_fetch(base_url, api_key)
    except RemoteError as exc:
        raise ValidationError({exc.field: [exc.message]}) from None


def _check_count(user) -> None:
    if endpoint_list(user=user).count() >= settings.SLOUGHGPT_ENDPOINTS_MAX:
        raise ValidationError({"name": [f"you have {settings.SLOUGHGPT_ENDPOINTS_MAX} endpoints, the most "
                                        "allowed: delete one first"]})


def endpoint_create(*, user, name: str, base_url: str, api_key: str = "") -> RemoteEndpoint:
    """Register an endpoint once its models were fetched (no transaction is held while the
    remote is asked)."""
    _check_count(user)
    name = _check_name(user=user, name=name)
    _check_key(api_key)
    base_url = _check_base_url(base_url)
    models = _fetched(base_url, api_key)
    with transaction.atomic():
        _check_count(user)  # again: another request may have added one meanwhile
        return RemoteEndpoint.objects.create(
            owner=user, name=_check_name(user=user, name=name), base_url=base_url,
            api_key_sealed=seal(api_key) if api_key else "", api_key_hint=secret_hint(api_key) if api_key else "",
            model_ids=models, models_fetched_at=timezone.now())


def endpoint_update(*, user, endpoint_id: int, **changes) -> RemoteEndpoint:
    """Rename, or change the base URL or key (`api_key` "" removes it); a new URL or key is
    only stored once the models were fetched with it, and the list is replaced by theirs."""
    endpoint = endpoint_get(user=user, endpoint_id=endpoint_id)
    fields: dict = {}
    if "name" in changes:
        fields["name"] = _check_name(user=user, name=changes["name"], exclude=endpoint.pk)
    if "base_url" in changes or "api_key" in changes:
        base_url = _check_base_url(changes.get("base_url", endpoint.base_url))
        api_key = _check_key(changes["api_key"]) if "api_key" in changes else endpoint_key(endpoint)
        fields.update(base_url=base_url, model_ids=_fetched(base_url, api_key), models_fetched_at=timezone.now(),
                      last_error="")
        if "api_key" in changes:
            fields.update(api_key_sealed=seal(api_key) if api_key else "",
                          api_key_hint=secret_hint(api_key) if api_key else "")
    with transaction.atomic():
        endpoint = endpoint_get(user=user, endpoint_id=endpoint_id)
        for key, value in fields.items():
            setattr(endpoint, key, value)
        endpoint.save()
    return endpoint


def endpoint_refresh(*, user, endpoint_id: int) -> RemoteEndpoint:
    """Fetch the model list again; a failure keeps the old list and records why (shown with
    the endpoint) instead of failing the request."""
    endpoint = endpoint_get(user=user, endpoint_id=endpoint_id)
    try:
        models, error = models_fetch(endpoint.base_url, endpoint_key(endpoint)), ""
    except RemoteError as exc:
        models, error = endpoint.model_ids, exc.message
    RemoteEndpoint.objects.filter(pk=endpoint.pk).update(
        model_ids=models, last_error=error, updated_at=timezone.now(),
        **({} if error else {"models_fetched_at": timezone.now()}))
    endpoint.refresh_from_db()
    return endpoint


@transaction.atomic
def endpoint_delete(*, user, endpoint_id: int) -> None:
    """Delete the endpoint and its key; conversations and battles that used it keep their
    text, and their next reply asks for another model."""
    endpoint_get(user=user, endpoint_id=endpoint_id).delete()
