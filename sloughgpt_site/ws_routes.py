"""Every WebSocket route of the product, gathered from each installed app's `routing.py`, each
counting its open connections (apps.monitoring.metrics_http)."""

from importlib import import_module
from importlib.util import find_spec

from django.conf import settings

from apps.monitoring.metrics_http import counted_route


def _collect() -> list:
    routes: list = []
    for app in settings.INSTALLED_APPS:
        if app.startswith("apps.") and find_spec(f"{app}.routing") is not None:
            routes.extend(counted_route(route) for route in import_module(f"{app}.routing").websocket_urlpatterns)
    return routes


websocket_urlpatterns = _collect()
