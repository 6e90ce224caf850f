"""Sockets that join one channel group: `GroupConsumer` checks who may join (4401 for an
anonymous user, 4404 for an id that is unknown or not theirs, the WebSocket twins of 401 and
404), joins the group, leaves it on disconnect and answers pings. It also joins its
credential's groups (apps.core.ws_auth) and closes with 4401 when that credential ends.
`NotificationsConsumer` is the per-user notifications socket (`/ws/notifications/`): later
features publish events for one user; only that user's connections receive them."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .notifications import user_group
from .ws_auth import CLOSED_CODE, credential_groups, credential_is_live


class GroupConsumer(AsyncJsonWebsocketConsumer):
    """Subclasses name the group of an authenticated user in `group_for` (None: not theirs)."""

    async def group_for(self, user) -> str | None:
        raise NotImplementedError

    joined: list[str] = []

    async def connect(self):
        credential = self.scope.get("credential")
        if credential is None:
            await self.close(code=CLOSED_CODE)
            return
        group = await self.group_for(self.scope["user"])
        if group is None:
            await self.close(code=4404)
            return
        self.joined = [group, *credential_groups(credential)]
        for name in self.joined:
            await self.channel_layer.group_add(name, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for name in self.joined:
            await self.channel_layer.group_discard(name, self.channel_name)

    async def credential_ended(self, message):
        """Logout or token revocation ended the credential this socket was opened with."""
        await self.close(code=CLOSED_CODE)

    async def credential_changed(self, message):
        """The user changed (password, deactivation): close unless the credential still holds."""
        if not await database_sync_to_async(credential_is_live)(self.scope["credential"]):
            await self.close(code=CLOSED_CODE)

    async def receive_json(self, content, **kwargs):
        # One-way sockets answer pings only, so clients can check the connection.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})


class NotificationsConsumer(GroupConsumer):
    async def group_for(self, user) -> str:
        return user_group(user.pk)

    async def notify(self, message):
        await self.send_json(message["event"])
