"""Inference tasks, routed to the `inference` queue by name (see CELERY_TASK_ROUTES), which
thread-pool workers serve (apps/chat/inference.py). Their outcome reaches clients as events,
so they keep no result: sending one then skips the result backend's subscription, and
finishing one skips storing a result nobody reads."""

from celery import shared_task
from celery.signals import worker_init


@worker_init.connect
def _warm_inference_worker(sender, **kwargs):
    # Importing torch and the engine takes seconds; an inference worker pays it before it
    # takes its first request, not during someone's first reply.
    if "inference" in sender.app.amqp.queues.consume_from:
        import ml.infer.engine  # noqa: F401


@shared_task(name="chat.chat_reply_inference_task", ignore_result=True)
def chat_reply_inference_task(message_id: int) -> None:
    from .generation import chat_reply_generate

    chat_reply_generate(message_id=message_id)


@shared_task(name="chat.completion_inference_task", ignore_result=True)
def completion_inference_task(payload: dict) -> None:
    from .generation import completion_generate

    completion_generate(payload=payload)
