"""DRF authentication by `Authorization: Bearer <personal API token>`."""

from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed

from .services import api_token_check


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        if not raw.strip():
            raise AuthenticationFailed("The Authorization header has no token after 'Bearer'.")
        return api_token_check(raw=raw.strip()), None

    def authenticate_header(self, request):
        return self.keyword
