"""Which pages may open our WebSockets: the same rule as Django's CSRF origin check, so a
socket is refused wherever a REST write would be. The Origin header must equal this site's
own origin (scheme, host and port, with the scheme from the connection or
SECURE_PROXY_SSL_HEADER and the host validated against ALLOWED_HOSTS), or be listed in
CSRF_TRUSTED_ORIGINS. Browsers always send Origin on a WebSocket handshake; a socket without
one is refused too."""

from __future__ import annotations

import io

from channels.security.websocket import WebsocketDenier
from django.core.handlers.asgi import ASGIRequest
from django.middleware.csrf import CsrfViewMiddleware


def _as_request(scope) -> ASGIRequest:
    # The handshake is an HTTP GET; wss is https to Django's is_secure().
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    return ASGIRequest(dict(scope, type="http", method="GET", scheme=scheme), io.BytesIO())


def origin_allowed(scope) -> bool:
    request = _as_request(scope)
    if "HTTP_ORIGIN" not in request.META:
        return False
    # Django's own check, so the rule is written once: the CSRF middleware's origin test.
    return CsrfViewMiddleware(get_response=lambda request: None)._origin_verified(request)


class SameOriginValidator:
    """ASGI middleware: WebSockets from any other origin are closed before they connect."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier.as_asgi()(scope, receive, send)
        return await self.application(scope, receive, send)
