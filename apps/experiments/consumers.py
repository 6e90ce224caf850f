"""The live socket of one run (`/ws/runs/<id>/`): metrics as they are ingested, and later
training log lines and system stats. Whoever may read the run joins (its owner, and team
members it is shared with or whose team owns it; checked on every connect); anyone else,
and any unknown run, is closed with 4404 (the WebSocket twin of the API's 404)."""

from channels.db import database_sync_to_async

from apps.core.consumers import GroupConsumer

from .realtime import run_group
from .selectors import run_exists


class RunConsumer(GroupConsumer):
    async def group_for(self, user) -> str | None:
        run_id = self.scope["url_route"]["kwargs"]["run_id"]
        if not await database_sync_to_async(run_exists)(user=user, run_id=run_id):
            return None
        return run_group(run_id)

    async def run_event(self, message):
        await self.send_json(message["event"])
