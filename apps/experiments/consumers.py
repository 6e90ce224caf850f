"""The live socket of one run (`/ws/runs/<id>/`): metrics as they are ingested, and later
training log lines and system stats. Only the run's owner may join; anyone else, and any
unknown run, is closed with 4404 (the WebSocket twin of the API's 404)."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .realtime import run_group
from .selectors import run_exists


class RunConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        run_id = self.scope["url_route"]["kwargs"]["run_id"]
        if not await database_sync_to_async(run_exists)(user=user, run_id=run_id):
            await self.close(code=4404)
            return
        self.group = run_group(run_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # The socket is one-way; answer pings so clients can check the connection.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def run_event(self, message):
        await self.send_json(message["event"])
