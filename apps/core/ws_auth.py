"""WebSocket authentication, and ending sockets when their credential ends.

A socket authenticates with the browser's session cookie, or `Authorization: Bearer` with a
personal API token for other clients; the middleware records which one in
`scope["credential"]`. Consumers join one group per credential (`sockets.session.<digest>`,
`sockets.token.<id>`) and one per user (`sockets.user.<id>`):

- logout closes the session's sockets, and revoking a token closes the sockets opened with it;
- any other change to a user (password change, deactivation, deletion) asks every socket of
  that user to re-check its credential, so sessions a new password invalidated close while a
  still-valid token's stay open;
- consumers also re-check before every frame that acts (`credential_is_live`), which catches a
  credential that ended without an event (a token that expired).

Sockets whose credential ended are closed with 4401, as an anonymous connection is refused."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import import_module
from types import SimpleNamespace

from asgiref.sync import async_to_sync
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.middleware import BaseMiddleware
from django.conf import settings

CLOSED_CODE = 4401  # the WebSocket twin of 401


@dataclass(frozen=True)
class SocketCredential:
    """What authenticated a socket: an API token (by id) or a browser session (by key)."""

    user_id: int
    token_id: int | None = None
    session_key: str | None = None


def _session_group(session_key: str) -> str:
    # Keys are secrets; group names travel through Redis, so they carry a digest instead.
    return f"sockets.session.{hashlib.sha256(session_key.encode()).hexdigest()[:32]}"


def credential_groups(credential: SocketCredential) -> list[str]:
    """The groups a socket opened with `credential` joins."""
    own = (f"sockets.token.{credential.token_id}" if credential.token_id is not None
           else _session_group(credential.session_key))
    return [f"sockets.user.{credential.user_id}", own]


def credential_is_live(credential: SocketCredential) -> bool:
    """Whether the credential would still authenticate a new socket (runs queries)."""
    if credential.token_id is not None:
        from apps.accounts.selectors import api_token_is_live

        return api_token_is_live(token_id=credential.token_id)
    from django.contrib.auth import get_user

    session = import_module(settings.SESSION_ENGINE).SessionStore(credential.session_key)
    # Django's own session check (user, backend, password hash, is_active); it reads only
    # the request's session.
    user = get_user(SimpleNamespace(session=session))
    return user.is_authenticated and user.pk == credential.user_id


def _send(group: str, message: dict) -> None:
    async_to_sync(get_channel_layer().group_send)(group, message)


def sockets_close_for_session(session_key: str) -> None:
    _send(_session_group(session_key), {"type": "credential.ended"})


def sockets_close_for_token(token_id: int) -> None:
    _send(f"sockets.token.{token_id}", {"type": "credential.ended"})


def sockets_recheck_for_user(user_id: int) -> None:
    _send(f"sockets.user.{user_id}", {"type": "credential.changed"})


@database_sync_to_async
def _token_for(raw: str):
    from apps.accounts.services import api_token_authenticate

    return api_token_authenticate(raw=raw)


class CredentialMiddleware(BaseMiddleware):
    """A valid Bearer token takes precedence over the session; `scope["credential"]` is None
    for an anonymous socket."""

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers") or [])
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        token = None
        if authorization.lower().startswith("bearer "):
            token = await _token_for(authorization[7:].strip())
        if token is not None:
            credential = SocketCredential(user_id=token.owner_id, token_id=token.pk)
            scope = dict(scope, user=token.owner, credential=credential)
        elif scope["user"].is_authenticated:
            credential = SocketCredential(user_id=scope["user"].pk,
                                          session_key=scope["session"].session_key)
            scope = dict(scope, credential=credential)
        else:
            scope = dict(scope, credential=None)
        return await super().__call__(scope, receive, send)


def session_or_token_auth(inner):
    return AuthMiddlewareStack(CredentialMiddleware(inner))
