"""ASGI entry point served by daphne: Django for HTTP, Channels for WebSockets (origin
checked as Django's CSRF checks it, user from the session or an API token)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sloughgpt_site.settings.local")
# Requests run in threads of their own here: borrow connections from a pool rather than keep
# one per thread (settings/database.py). The flag is for this process's settings only (read
# while the app loads); processes started from here, such as test workers, keep theirs.
_pool_unset = "DATABASE_POOL" not in os.environ
os.environ.setdefault("DATABASE_POOL", "1")
django_asgi_app = get_asgi_application()
if _pool_unset:
    del os.environ["DATABASE_POOL"]

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from apps.core.ws_auth import session_or_token_auth  # noqa: E402
from apps.core.ws_origin import SameOriginValidator  # noqa: E402
from sloughgpt_site.ws_routes import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(session_or_token_auth(URLRouter(websocket_urlpatterns))),
    }
)
