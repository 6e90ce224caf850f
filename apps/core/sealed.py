"""Secrets a user gives us that we must send on later (hub access tokens, remote endpoint API
keys): sealed with Fernet (AES-128-CBC + HMAC-SHA256) before they reach the database, opened
only where a request is about to be made, and never returned by the API.

Keys come from `SLOUGHGPT_SEAL_KEYS` (settings/product.py): `seal` uses the first and
`unseal` tries each, so a key is rotated by putting the new one first and dropping the old
one once the secrets it sealed were entered again. Without configured keys one is derived
from SECRET_KEY (HKDF with a fixed purpose label), so changing SECRET_KEY makes sealed
secrets unreadable: they fail to open with `SealError` and the user enters them again."""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_PURPOSE = b"sloughgpt sealed user secrets v1"


class SealError(ValueError):
    """A sealed value could not be opened (wrong or rotated-away key, or altered bytes)."""


def _derived_key(secret_key: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


@functools.cache
def _box(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    chosen = [key.encode() for key in keys] or [_derived_key(secret_key)]
    return MultiFernet([Fernet(key) for key in chosen])


def _current_box() -> MultiFernet:
    return _box(tuple(settings.SLOUGHGPT_SEAL_KEYS), settings.SECRET_KEY)


def seal(secret: str) -> str:
    """The text to store for `secret` (ASCII, about 1.4x longer plus 57 characters)."""
    return _current_box().encrypt(secret.encode()).decode("ascii")


def unseal(sealed: str) -> str:
    """The secret `seal` was given; `SealError` when no configured key opens it."""
    try:
        return _current_box().decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise SealError("the stored secret can no longer be read; enter it again") from exc


def secret_hint(secret: str) -> str:
    """What the UI may show of a secret: its last four characters, the rest masked."""
    return f"…{secret[-4:]}" if len(secret) > 8 else "…"
