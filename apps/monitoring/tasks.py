"""Monitoring tasks on the `default` queue (CELERY_TASK_ROUTES): the drift features of a
served generation, kept off the inference workers so their replies share the CPU with none
of it."""

from celery import shared_task
from celery.signals import worker_ready


@shared_task(name="monitoring.inference_record_features_task", ignore_result=True)
def inference_record_features_task(record_id: int) -> None:
    # The record's texts are read from where inference_record_write kept them, not sent here.
    from .features import inference_record_features

    inference_record_features(record_id=record_id)
    _chains_watch()


def _chains_watch() -> None:
    """Restarts a chain of drift or alert passes that was lost (apps.core.periodic: a cache
    add while it is alive)."""
    from .alert_evaluate import alerts_evaluate_schedule
    from .drift import drift_pass_schedule

    drift_pass_schedule()
    alerts_evaluate_schedule()


# -- drift detection (apps.monitoring.drift) ----------------------------------------------------
@shared_task(bind=True, name="monitoring.drift_pass_task", ignore_result=True)
def drift_pass_task(self) -> None:
    """Queue the checks that are due, then the next pass (even when this one failed); a
    stray copy of a pass does nothing (apps.core.periodic)."""
    from apps.core.periodic import periodic_run

    from .drift import PASS_KEY, drift_pass, drift_pass_schedule

    periodic_run(key=PASS_KEY, task_id=self.request.id, work=drift_pass, schedule=drift_pass_schedule)


@shared_task(name="monitoring.model_version_drift_check_task", ignore_result=True)
def model_version_drift_check_task(version_id: int, window_end: str) -> None:
    from datetime import datetime

    from .drift import drift_check

    drift_check(version_id=version_id, window_end=datetime.fromisoformat(window_end))
    # Each check also restarts the chains of passes if one was lost (a no-op while they wait).
    _chains_watch()


@worker_ready.connect
def _drift_passes_start(**kwargs) -> None:
    # No beat process: the first worker to start begins the chain of passes (make run starts
    # workers, so drift runs wherever they do).
    from .drift import drift_pass_schedule

    drift_pass_schedule()


# -- alerts (apps.monitoring.alert_evaluate, alert_delivery) -------------------------------------
@shared_task(bind=True, name="monitoring.alerts_evaluate_task", ignore_result=True)
def alerts_evaluate_task(self) -> None:
    """Evaluate every enabled rule, then queue the next pass (even when this one failed); a
    stray copy of a pass does nothing (apps.core.periodic)."""
    from apps.core.periodic import periodic_run

    from .alert_evaluate import PASS_KEY, alerts_evaluate, alerts_evaluate_schedule

    periodic_run(key=PASS_KEY, task_id=self.request.id, work=alerts_evaluate, schedule=alerts_evaluate_schedule)


@shared_task(bind=True, name="monitoring.alert_delivery_task", ignore_result=True, max_retries=None)
def alert_delivery_task(self, delivery_id: int) -> None:
    # The delivery's row counts its tries and bounds them (a redelivered message included);
    # Celery only waits out the backoff.
    from .alert_delivery import alert_delivery_attempt

    retry_in = alert_delivery_attempt(delivery_id=delivery_id)
    if retry_in is not None:
        raise self.retry(countdown=retry_in)


@worker_ready.connect
def _alert_passes_start(**kwargs) -> None:
    from .alert_evaluate import alerts_evaluate_schedule

    alerts_evaluate_schedule()
