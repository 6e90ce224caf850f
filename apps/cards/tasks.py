"""Spaced-repetition worker tasks: fit a user's FSRS parameters to their reviews."""

from celery import shared_task

from .services import scheduler_optimize


@shared_task(name="cards.scheduler_optimize_task")
def scheduler_optimize_task(user_id: int) -> None:
    scheduler_optimize(user_id=user_id)
