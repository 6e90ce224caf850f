"""Monitoring tasks on the `default` queue (CELERY_TASK_ROUTES): the drift features of a
served generation, kept off the inference workers so their replies share the CPU with none
of it."""

from celery import shared_task
from celery.signals import worker_ready


@shared_task(name="monitoring.inference_record_features_task", ignore_result=True)
def inference_record_features_task(record_id: int, prompt_text: str, reply_text: str) -> None:
    from .features import inference_record_features

    inference_record_features(record_id=record_id, prompt_text=prompt_text, reply_text=reply_text)


# -- alerts (apps.monitoring.alert_evaluate, alert_delivery) -------------------------------------
@shared_task(name="monitoring.alerts_evaluate_task", ignore_result=True)
def alerts_evaluate_task() -> None:
    """Evaluate every enabled rule, then queue the next pass (even when this one failed)."""
    from . import alert_evaluate

    alert_evaluate.alerts_evaluate_scheduled_clear()
    try:
        alert_evaluate.alerts_evaluate()
    finally:
        alert_evaluate.alerts_evaluate_schedule()


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
