"""WebSocket authentication: the browser's session cookie, or `Authorization: Bearer`
with a personal API token for other clients."""

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware


@database_sync_to_async
def _user_for_token(raw: str):
    from apps.accounts.services import api_token_authenticate

    return api_token_authenticate(raw=raw)


class BearerTokenMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers") or [])
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if authorization.lower().startswith("bearer "):
            user = await _user_for_token(authorization[7:].strip())
            if user is not None:
                scope = dict(scope, user=user)
        return await super().__call__(scope, receive, send)


def session_or_token_auth(inner):
    # The token, when given and valid, takes precedence over the session.
    return AuthMiddlewareStack(BearerTokenMiddleware(inner))
