"""Sockets that join one channel group: `GroupConsumer` checks who may join (4401 for an
anonymous user, 4404 for an id that is unknown or not theirs, the WebSocket twins of 401 and
404), joins the group, leaves it on disconnect and answers pings. It also joins its
credential's groups (apps.core.ws_auth) and closes with 4401 when that credential ends: on the
credential's events, when it is found ended as the socket joins, and when a token expires;
and it closes with 4404 when its user lost access to what it follows (an "access.changed"
event: apps.core.ws_auth.sockets_recheck_access).
`NotificationsConsumer` is the per-user notifications socket (`/ws/notifications/`): later
features publish events for one user; only that user's connections receive them."""

import asyncio

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from .notifications import user_group
from .ws_auth import CLOSED_CODE, credential_expires_at, credential_groups, credential_is_live

# The WebSocket twin of 404: what the socket asks for is unknown, or not the user's to follow.
NOT_FOUND_CODE = 4404


def _credential_state(credential):
    return credential_is_live(credential), credential_expires_at(credential)


class GroupConsumer(AsyncJsonWebsocketConsumer):
    """Subclasses name the group of an authenticated user in `group_for` (None: not theirs)."""

    async def group_for(self, user) -> str | None:
        raise NotImplementedError

    def on_db_thread(self, function):
        """`function` as a coroutine on the thread this consumer's database work runs on."""
        return database_sync_to_async(function)

    joined: list[str] = []
    expiry: asyncio.Task | None = None

    async def connect(self):
        credential = self.scope.get("credential")
        if credential is None:
            await self.close(code=CLOSED_CODE)
            return
        group = await self.group_for(self.scope["user"])
        if group is None:
            await self.close(code=NOT_FOUND_CODE)
            return
        self.joined = [group, *credential_groups(credential)]
        for name in self.joined:
            await self.channel_layer.group_add(name, self.channel_name)
        # The handshake checked the credential before the socket joined its groups: one that
        # ended in between sent its close where this socket could not hear it yet.
        if not await self._credential_holds():
            await self._leave()
            await self.close(code=CLOSED_CODE)
            return
        await self.accept()

    async def disconnect(self, code):
        await self._leave()

    async def _leave(self):
        if self.expiry is not None:
            self.expiry.cancel()
        for name in self.joined:
            await self.channel_layer.group_discard(name, self.channel_name)

    async def _credential_holds(self) -> bool:
        """Whether the credential still holds; if it does and expires, check again then."""
        live, expires_at = await self.on_db_thread(_credential_state)(self.scope["credential"])
        if self.expiry is not None:
            self.expiry.cancel()
        self.expiry = asyncio.ensure_future(self._recheck_at(expires_at)) if (
            live and expires_at is not None) else None
        return live

    async def _recheck_at(self, moment):
        # An expiry sends no event, so the socket sends itself one, through its own channel so
        # that the check takes its turn among the socket's other messages.
        await asyncio.sleep(max(0.0, (moment - timezone.now()).total_seconds()))
        await self.channel_layer.send(self.channel_name, {"type": "credential.changed"})

    async def credential_ended(self, message):
        """Logout or token revocation ended the credential this socket was opened with."""
        await self.close(code=CLOSED_CODE)

    async def credential_changed(self, message):
        """The user or token changed, or the token's expiry came: close unless the credential
        still holds."""
        if not await self._credential_holds():
            await self.close(code=CLOSED_CODE)

    async def access_changed(self, message):
        """Who may see what changed for this user: close unless they may still follow what
        the socket joined."""
        if await self.group_for(self.scope["user"]) != self.joined[0]:
            await self.close(code=NOT_FOUND_CODE)

    async def receive_json(self, content, **kwargs):
        # One-way sockets answer pings only, so clients can check the connection.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})


class NotificationsConsumer(GroupConsumer):
    async def group_for(self, user) -> str:
        return user_group(user.pk)

    async def notify(self, message):
        await self.send_json(message["event"])
