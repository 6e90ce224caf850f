"""Monitoring tasks on the `default` queue (CELERY_TASK_ROUTES): the drift features of a
served generation, kept off the inference workers so their replies share the CPU with none
of it."""

from celery import shared_task


@shared_task(name="monitoring.inference_record_features_task", ignore_result=True)
def inference_record_features_task(record_id: int, prompt_text: str, reply_text: str) -> None:
    from .features import inference_record_features

    inference_record_features(record_id=record_id, prompt_text=prompt_text, reply_text=reply_text)
