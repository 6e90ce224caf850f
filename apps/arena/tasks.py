"""Arena inference tasks, routed to the `inference` queue (CELERY_TASK_ROUTES) like chat
replies; their outcome reaches clients as events, so they keep no result."""

from celery import shared_task

from apps.chat.tasks import DATABASE_RETRY


@shared_task(name="arena.battle_reply_inference_task", ignore_result=True, **DATABASE_RETRY)
def battle_reply_inference_task(reply_id: int, queued_at: float | None = None) -> None:
    from .generation import battle_reply_generate

    battle_reply_generate(reply_id=reply_id, queued_at=queued_at)
