"""WebSocket authentication, and ending sockets when their credential ends.

A socket authenticates with the browser's session cookie, or `Authorization: Bearer` with a
personal API token for other clients; the middleware records which one in
`scope["credential"]`. Consumers join one group per credential (`sockets.session.<digest>`,
`sockets.token.<id>`) and one per user (`sockets.user.<id>`):

- logout closes the session's sockets, and revoking or deleting a token closes the sockets
  opened with it (apps.accounts.signals; ApiToken's queryset for bulk updates);
- any other change to a user (password change, deactivation, deletion) asks every socket of
  that user to re-check its credential, so sessions a new password invalidated close while a
  still-valid token's stay open; any other change to a token asks its sockets the same;
- a change to who may see what (a share removed, a member gone, an object moved, a team
  deleted) asks the affected users' sockets to check their access again
  (`sockets_recheck_access`); those that lost it close with 4404;
- a token's expiry sends no event: a socket opened with an expiring token re-checks it when
  it expires (`credential_expires_at`);
- consumers re-check once they have joined their groups (a credential that ended after the
  handshake's check but before the joins sent its close to groups the socket was not in yet),
  and before every frame that acts (`credential_is_live`).

Sockets whose credential ended are closed with 4401, as an anonymous connection is refused."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module

from asgiref.sync import async_to_sync
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.utils.crypto import constant_time_compare

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


def _token_group(token_id: int) -> str:
    return f"sockets.token.{token_id}"


def credential_groups(credential: SocketCredential) -> list[str]:
    """The groups a socket opened with `credential` joins."""
    own = (_token_group(credential.token_id) if credential.token_id is not None
           else _session_group(credential.session_key))
    return [f"sockets.user.{credential.user_id}", own]


def credential_is_live(credential: SocketCredential) -> bool:
    """Whether the credential would still authenticate a new socket (runs queries)."""
    if credential.token_id is not None:
        from apps.accounts.selectors import api_token_is_live

        return api_token_is_live(token_id=credential.token_id, owner_id=credential.user_id)
    return _session_is_live(credential)


def _session_is_live(credential: SocketCredential) -> bool:
    """Django's check of a request's session (django.contrib.auth.get_user: the session's user
    and backend, the user active, the password hash it stored), made without writing. get_user
    itself, on a hash made with a SECRET_KEY_FALLBACKS key, moves the session to a new key and
    deletes the old one: here that one is the browser's, which a key rotation would sign out."""
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
        load_backend,
    )

    stored = import_module(settings.SESSION_ENGINE).SessionStore(credential.session_key).load()
    backend_path = stored.get(BACKEND_SESSION_KEY)
    if (SESSION_KEY not in stored or backend_path not in settings.AUTHENTICATION_BACKENDS
            or get_user_model()._meta.pk.to_python(stored[SESSION_KEY]) != credential.user_id):
        return False
    user = load_backend(backend_path).get_user(credential.user_id)  # None when inactive
    if user is None:
        return False
    session_hash = stored.get(HASH_SESSION_KEY) or ""
    return any(constant_time_compare(session_hash, expected) for expected in
               (user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()))


def credential_expires_at(credential: SocketCredential) -> datetime | None:
    """When the credential ends with no event: a token's expiry; None for a token that never
    expires and for a session (runs a query for a token)."""
    if credential.token_id is None:
        return None
    from apps.accounts.selectors import api_token_expires_at

    return api_token_expires_at(token_id=credential.token_id)


def _send(group: str, message: dict) -> None:
    async_to_sync(get_channel_layer().group_send)(group, message)


def sockets_close_for_session(session_key: str) -> None:
    _send(_session_group(session_key), {"type": "credential.ended"})


def sockets_close_for_token(token_id: int) -> None:
    _send(_token_group(token_id), {"type": "credential.ended"})


def sockets_recheck_for_token(token_id: int) -> None:
    _send(_token_group(token_id), {"type": "credential.changed"})


def sockets_recheck_for_user(user_id: int) -> None:
    _send(f"sockets.user.{user_id}", {"type": "credential.changed"})


def sockets_recheck_access(user_ids) -> None:
    """Asks every socket of these users to check again that it may still follow what it
    joined (apps.core.consumers.GroupConsumer.group_for), once the caller's transaction
    commits: after a share is removed, a member leaves or is removed, an object changes hands
    or a team is deleted. Sockets that lost their access close with 4404."""
    from django.db import transaction

    user_ids = sorted(set(user_ids))

    def send():
        for user_id in user_ids:
            _send(f"sockets.user.{user_id}", {"type": "access.changed"})

    transaction.on_commit(send, robust=True)


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
