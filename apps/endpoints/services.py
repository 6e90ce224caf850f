"""Writes of remote endpoints: register one (its base URL checked by apps.core.outbound and
its models fetched before anything is stored, so a URL that is refused, times out or answers
something else is a 400 on that field), change it, refresh its model list, delete it. The API
key is sealed (apps.core.sealed) and only its hint is kept readable; it is only ever sent to
the server it was entered for (a base URL moving to another scheme, host or port needs the
key again). The cap and the unique name are checked again under a lock on the owner's row,
so parallel requests cannot pass them together."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
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


def _same_server(old_url: str, new_url: str) -> bool:
    """Whether two base URLs reach the same server (scheme, host and port): only then may the
    stored key be sent to the new one."""
    old, new = urlsplit(old_url), urlsplit(new_url)
    return (old.scheme, old.hostname, old.port) == (new.scheme, new.hostname, new.port)


def _stored_key(endpoint: RemoteEndpoint, base_url: str) -> str:
    """The endpoint's key, for its models fetched from `base_url` without a new key: a 400
    on api_key when the URL moved to another server or the key no longer opens."""
    if endpoint.api_key_sealed and not _same_server(endpoint.base_url, base_url):
        raise ValidationError({"api_key": ["enter the key again to use it with a new server"]})
    try:
        return endpoint_key(endpoint)
    except RemoteError as exc:
        raise ValidationError({exc.field: [f"{exc.message}: enter the key again"]}) from None


def _fetched(base_url: str, api_key: str) -> list[str]:
    try:
        return models_fetch(base_url, api_key)
    except RemoteError as exc:
        raise ValidationError({exc.field: [exc.message]}) from None


def _check_count(user) -> None:
    if endpoint_list(user=user).count() >= settings.SLOUGHGPT_ENDPOINTS_MAX:
        raise ValidationError({"name": [f"you have {settings.SLOUGHGPT_ENDPOINTS_MAX} endpoints, the most "
                                        "allowed: delete one first"]})


def _lock_owner(user) -> None:
    """Serialize the owner's endpoint writes until the transaction ends, so the checks made
    under it still hold when the row is written."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).exists()


def _saved(save):
    """`save()`'s result; a name taken meanwhile (the database's unique constraint, should a
    write slip past the lock) is a 400 on name, not a 500."""
    try:
        with transaction.atomic():
            return save()
    except IntegrityError:
        raise ValidationError({"name": ["you already have an endpoint with this name"]}) from None


def endpoint_create(*, user, name: str, base_url: str, api_key: str = "") -> RemoteEndpoint:
    """Register an endpoint once its models were fetched (no transaction is held while the
    remote is asked)."""
    _check_count(user)
    name = _check_name(user=user, name=name)
    _check_key(api_key)
    base_url = _check_base_url(base_url)
    models = _fetched(base_url, api_key)
    with transaction.atomic():
        _lock_owner(user)
        _check_count(user)  # again: another request may have added one meanwhile
        name = _check_name(user=user, name=name)
        return _saved(lambda: RemoteEndpoint.objects.create(
            owner=user, name=name, base_url=base_url,
            api_key_sealed=seal(api_key) if api_key else "", api_key_hint=secret_hint(api_key) if api_key else "",
            model_ids=models, models_fetched_at=timezone.now()))


def endpoint_update(*, user, endpoint_id: int, **changes) -> RemoteEndpoint:
    """Rename, or change the base URL or key (`api_key` "" removes it); a new URL or key is
    only stored once the models were fetched with it, and the list is replaced by theirs.
    The stored key goes only to the server it was entered for (`_stored_key`)."""
    endpoint = endpoint_get(user=user, endpoint_id=endpoint_id)
    fields: dict = {}
    if "name" in changes:
        fields["name"] = _check_name(user=user, name=changes["name"], exclude=endpoint.pk)
    if "base_url" in changes or "api_key" in changes:
        base_url = _check_base_url(changes.get("base_url", endpoint.base_url))
        api_key = _check_key(changes["api_key"]) if "api_key" in changes else _stored_key(endpoint, base_url)
        fields.update(base_url=base_url, model_ids=_fetched(base_url, api_key), models_fetched_at=timezone.now(),
                      last_error="")
        if "api_key" in changes:
            fields.update(api_key_sealed=seal(api_key) if api_key else "",
                          api_key_hint=secret_hint(api_key) if api_key else "")
    with transaction.atomic():
        _lock_owner(user)
        endpoint = endpoint_get(user=user, endpoint_id=endpoint_id)
        if "name" in fields:
            _check_name(user=user, name=fields["name"], exclude=endpoint.pk)  # again, under the lock
        for key, value in fields.items():
            setattr(endpoint, key, value)
        _saved(endpoint.save)
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
