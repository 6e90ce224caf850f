"""allauth's account adapter: the client address comes from apps.core.client_ip (which honours
SLOUGHGPT_TRUSTED_PROXY_COUNT), and failed logins are counted per account and address."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied

from apps.core.client_ip import client_ip

from .login_throttle import login_key


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # The key of allauth's per-key login_failed limit (and of the reset that clears it after a
        # password reset); allauth's own is the account alone, which locked it from everywhere.
        return login_key(request, credentials.get("email", credentials.get("username", "")))
