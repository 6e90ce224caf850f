"""Sockets that join one channel group: `GroupConsumer` checks who may join (4401 for an
anonymous user, 4404 for an id that is unknown or not theirs, the WebSocket twins of 401 and
404), joins the group, leaves it on disconnect and answers pings. `NotificationsConsumer` is
the per-user notifications socket (`/ws/notifications/`): later features publish events for
one user; only that user's connections receive them."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .notifications import user_group


class GroupConsumer(AsyncJsonWebsocketConsumer):
    """Subclasses name the group of an authenticated user in `group_for` (None: not theirs)."""

    async def group_for(self, user) -> str | None:
        raise NotImplementedError

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        group = await self.group_for(user)
        if group is None:
            await self.close(code=4404)
            return
        self.group = group
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # One-way sockets answer pings only, so clients can check the connection.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})


class NotificationsConsumer(GroupConsumer):
    async def group_for(self, user) -> str:
        return user_group(user.pk)

    async def notify(self, message):
        await self.send_json(message["event"])
