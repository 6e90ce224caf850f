"""allauth's account adapter: the client address comes from apps.core.client_ip (which honours
SLOUGHGPT_TRUSTED_PROXY_COUNT), and failed logins are counted by login_throttle (per account and
address, and per account), as the admin's sign-in counts them."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied

from apps.core.client_ip import client_ip

from .login_throttle import login_attempt_begin, login_failures_clear


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def pre_authenticate(self, request, **credentials) -> None:
        # allauth's own counts one key, the account alone, which five failures locked from
        # everywhere; authenticate() gives this usage back when the password was right.
        self._login_failed_rl_usage = login_attempt_begin(request, login=_login(credentials))

    def _delete_login_attempts_cached_email(self, request, **credentials) -> None:
        # allauth calls this once a password was reset through the account's mailbox.
        login_failures_clear(request, login=_login(credentials))


def _login(credentials: dict) -> str:
    return credentials.get("email", credentials.get("username", ""))
