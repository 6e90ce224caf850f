"""Personality tasks: training a neural personality's persona space, on the `train` queue
with the other heavy work."""

from celery import shared_task


@shared_task(name="personalities.personality_train_task", queue="train")
def personality_train_task(version_id: int) -> str:
    from .services import personality_version_train

    return personality_version_train(version_id=version_id).status
