"""The live socket of one personality version (`/ws/personality-versions/<id>/`): its neural
training's per-epoch loss and progress, then its final status. Only a user who may read the
version (its owner; built-ins never train) joins; anyone else, and any unknown id, is closed
with 4404 (the WebSocket twin of the API's 404)."""

from channels.db import database_sync_to_async
from rest_framework.exceptions import NotFound

from apps.core.consumers import GroupConsumer

from .realtime import version_group
from .selectors import personality_version_get


def _visible(*, user, version_id: int) -> bool:
    try:
        personality_version_get(user=user, version_id=version_id)
    except NotFound:
        return False
    return True


class PersonalityVersionConsumer(GroupConsumer):
    async def group_for(self, user) -> str | None:
        version_id = self.scope["url_route"]["kwargs"]["version_id"]
        if not await database_sync_to_async(_visible)(user=user, version_id=version_id):
            return None
        return version_group(version_id)

    async def version_event(self, message):
        await self.send_json(message["event"])
