"""The Django project: settings, URL routing, ASGI (HTTP + WebSocket) and Celery."""

from .celery import app as celery_app

__all__ = ["celery_app"]
