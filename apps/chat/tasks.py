"""Inference tasks, routed to the `inference` queue (CELERY_TASK_ROUTES), which
thread-pool workers serve (apps/chat/inference.py). Their outcome reaches clients as events,
so they keep no result: sending one then skips the result backend's subscription, and
finishing one skips storing a result nobody reads."""

import sys

from celery import shared_task
from celery.signals import worker_init
from django.db import InterfaceError, OperationalError

# How long a thread holding the GIL keeps it while another waits (Python's default is 5 ms).
# An inference worker's decode thread needs the GIL for a moment between kernel calls; with
# the default, eight request threads preparing prompts kept it waiting 134 ms before its first
# prefill (SmolLM2, 8 chats), with 0.5 ms 2 ms.
INFERENCE_SWITCH_INTERVAL_S = 0.0005


@worker_init.connect
def _warm_inference_worker(sender, **kwargs):
    # Importing torch and the engine takes seconds; an inference worker pays it before it
    # takes its first request, not during someone's first reply.
    if "inference" in sender.app.amqp.queues.consume_from:
        import ml.infer.engine  # noqa: F401

        sys.setswitchinterval(INFERENCE_SWITCH_INTERVAL_S)


# A reply whose first read fails (the database restarting, or out of connections) would
# otherwise stay queued with nobody to finish it: try again while the reply is still queued
# (a retry of a reply already started or finished does nothing).
DATABASE_RETRY = {
    "autoretry_for": (OperationalError, InterfaceError), "max_retries": 6,
    "retry_backoff": 1, "retry_backoff_max": 30, "retry_jitter": False,
}


@shared_task(name="chat.chat_reply_inference_task", ignore_result=True, **DATABASE_RETRY)
def chat_reply_inference_task(message_id: int, queued_at: float | None = None) -> None:
    from .generation import chat_reply_generate

    chat_reply_generate(message_id=message_id, queued_at=queued_at)


@shared_task(name="chat.completion_inference_task", ignore_result=True)
def completion_inference_task(payload: dict) -> None:
    from .generation import completion_generate

    completion_generate(payload=payload)
