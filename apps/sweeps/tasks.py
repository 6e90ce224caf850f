"""Sweep tasks, on the `default` queue: the scheduler is short bookkeeping; its trials'
training runs go to `train` on their own."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)
# A scheduler that found the sweep held by another tries again this much later, so the
# trial end that woke it is not missed.
RETRY_HELD_AFTER_S = 2


@shared_task(bind=True, name="sweeps.sweep_schedule_task")
def sweep_schedule_task(self, sweep_id: int) -> bool:
    from apps.core.user_paths import error_text

    from .services import sweep_fail, sweep_schedule

    try:
        done = sweep_schedule(sweep_id=sweep_id, execution_id=self.request.id or "eager")
    except Exception as exc:
        logger.exception("sweep %s scheduler failed", sweep_id)
        sweep_fail(sweep_id=sweep_id, error=f"the scheduler failed: {error_text(exc, known={})}")
        return False
    if not done:
        sweep_schedule_task.apply_async((sweep_id,), countdown=RETRY_HELD_AFTER_S)
    return done
