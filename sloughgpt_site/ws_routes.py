"""Every WebSocket route of the product, gathered from each installed app's `routing.py`."""

from importlib import import_module
from importlib.util import find_spec

from django.conf import settings


def _collect() -> list:
    routes: list = []
    for app in settings.INSTALLED_APPS:
        if app.startswith("apps.") and find_spec(f"{app}.routing") is not None:
            routes.extend(import_module(f"{app}.routing").websocket_urlpatterns)
    return routes


websocket_urlpatterns = _collect()
