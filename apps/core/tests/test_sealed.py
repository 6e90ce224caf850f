"""Sealed user secrets: stored unreadable, opened with any configured key, refused when altered."""

import pytest
from cryptography.fernet import Fernet
from django.test import override_settings

from apps.core.sealed import SealError, seal, secret_hint, unseal


def test_a_sealed_secret_does_not_contain_the_secret_and_opens_again():
    # given
    token = "hf_abcdefghijklmnop1234"
    # when
    stored = seal(token)
    # then
    assert token not in stored
    assert unseal(stored) == token


def test_rotating_keys_keeps_old_secrets_readable_and_seals_with_the_new_key():
    # given
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(SLOUGHGPT_SEAL_KEYS=[old_key]):
        stored_before = seal("sk-old-secret")
    # when
    with override_settings(SLOUGHGPT_SEAL_KEYS=[new_key, old_key]):
        opened = unseal(stored_before)
        stored_after = seal("sk-new-secret")
    # then
    assert opened == "sk-old-secret"
    with override_settings(SLOUGHGPT_SEAL_KEYS=[new_key]):
        assert unseal(stored_after) == "sk-new-secret"
        with pytest.raises(SealError, match="enter it again"):
            unseal(stored_before)


def test_an_altered_sealed_value_is_refused():
    # given
    stored = seal("sk-secret")
    altered = stored[:-6] + ("A" if stored[-6] != "A" else "B") + stored[-5:]
    # when / then
    with pytest.raises(SealError):
        unseal(altered)


def test_the_hint_shows_only_the_last_four_characters():
    assert secret_hint("sk-1234567890abcd") == "…abcd"
    assert secret_hint("short") == "…"
