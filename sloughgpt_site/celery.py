"""The Celery application; settings come from Django's CELERY_* settings."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sloughgpt_site.settings.local")

app = Celery("sloughgpt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Tasks by name and state, in every process that runs them (apps.monitoring.metrics).
from apps.monitoring import metrics_celery  # noqa: E402, F401


@task_prerun.connect
@task_postrun.connect
def _recycle_database_connections(sender=None, **kwargs):
    # What Django does around each request: close this thread's connections once they pass
    # CONN_MAX_AGE or fail their health check, and keep the rest. Celery's own Django fixup
    # would close them around every task (CELERY_DB_REUSE_MAX holds it off), so each task
    # paid a new PostgreSQL connection: a server process started, 2.5 ms when idle and far
    # more beside a busy engine. An eager task runs inside its caller's transaction.
    if sender is not None and not getattr(sender.request, "is_eager", False):
        from django.db import close_old_connections

        close_old_connections()
