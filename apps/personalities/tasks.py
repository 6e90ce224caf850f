"""Personality tasks: training a neural personality's persona space. The `_train_task`
name routes it to the `train` queue with the other heavy work (CELERY_TASK_ROUTES)."""

from celery import shared_task


@shared_task(name="personalities.personality_train_task")
def personality_train_task(version_id: int) -> str:
    from .services import personality_version_train

    return personality_version_train(version_id=version_id).status
