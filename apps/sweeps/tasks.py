"""Sweep tasks, on the `default` queue: the scheduler is short bookkeeping; its trials'
training runs go to `train` on their own."""

import logging

import optuna
import sqlalchemy.exc
from celery import shared_task
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)
# A scheduler that found the sweep held by another tries again this much later, so the
# trial end that woke it is not missed.
RETRY_HELD_AFTER_S = 2
# The database (ours or the study's, the same server) going away mid-pass is no fault of the
# sweep: the pass is tried again, waiting 2, 4, 8... seconds (at most RETRY_MAX_WAIT_S), and
# fails the sweep only when the database stays away for all of RETRY_ATTEMPTS.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, sqlalchemy.exc.OperationalError,
                    sqlalchemy.exc.InterfaceError, optuna.exceptions.StorageInternalError)
RETRY_ATTEMPTS = 10
RETRY_MAX_WAIT_S = 300


@shared_task(bind=True, name="sweeps.sweep_schedule_task")
def sweep_schedule_task(self, sweep_id: int, until_deadline: bool = False) -> bool:
    """One scheduler pass over the sweep. `until_deadline`: the wake-up for the sweep's
    wall-time deadline, which only queues its next step while the deadline is ahead."""
    from apps.core.user_paths import error_text

    from .services import sweep_fail, sweep_schedule

    if until_deadline and not _deadline_reached(sweep_id):
        return True
    try:
        done = sweep_schedule(sweep_id=sweep_id, execution_id=self.request.id or "eager")
    except TRANSIENT_ERRORS as exc:
        if self.request.retries + 1 < RETRY_ATTEMPTS:
            logger.warning("sweep %s scheduler met %r; retrying", sweep_id, exc)
            raise self.retry(countdown=min(2 ** (self.request.retries + 1), RETRY_MAX_WAIT_S)) from exc
        logger.exception("sweep %s scheduler failed after %s tries", sweep_id, RETRY_ATTEMPTS)
        sweep_fail(sweep_id=sweep_id, error=f"the scheduler failed: {error_text(exc, known={})}")
        return False
    except Exception as exc:
        logger.exception("sweep %s scheduler failed", sweep_id)
        sweep_fail(sweep_id=sweep_id, error=f"the scheduler failed: {error_text(exc, known={})}")
        return False
    if not done:
        sweep_schedule_task.apply_async((sweep_id,), countdown=RETRY_HELD_AFTER_S)
    return done


def _deadline_reached(sweep_id: int) -> bool:
    """True at the deadline; before it, queues the next step of the wait (nothing for a
    sweep that ended or went away)."""
    from .models import Sweep
    from .services import OPEN_STATUSES, deadline_wait_schedule, seconds_to_deadline

    sweep = Sweep.objects.filter(pk=sweep_id, status__in=OPEN_STATUSES).first()
    if sweep is None:
        return False
    if seconds_to_deadline(sweep) <= 0:
        return True
    deadline_wait_schedule(sweep)
    return False
