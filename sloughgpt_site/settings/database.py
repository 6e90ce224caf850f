"""PostgreSQL (with pgvector) from DATABASE_URL or the embedded development server.

Workers keep one connection per thread for DATABASE_CONN_MAX_AGE seconds. The web process
(ASGI, `DATABASE_POOL=1`, set by asgi.py) cannot: Django runs each request's sync code in a
thread of its own, and a kept connection per such thread piled up until PostgreSQL refused
new clients under load ("too many clients already", found by benchmarks/load_mixed.py). It
borrows from a bounded psycopg pool instead, as Django's docs advise for ASGI."""

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, service_url

_database_url = service_url("DATABASE_URL")
if not _database_url:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set and no embedded PostgreSQL is running. "
        "Start everything with `make run`, or set DATABASE_URL=postgresql://USER:PASS@HOST/DB."
    )

_pooled = env_bool("DATABASE_POOL", False)
DATABASES = {
    "default": dj_database_url.parse(
        _database_url,
        # A pooled connection goes back to the pool after each request; Django refuses both.
        conn_max_age=0 if _pooled else env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=not _pooled,
    )
}
if _pooled:
    _pool_max_size = env_int("DATABASE_POOL_MAX_SIZE", 20)
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(2, _pool_max_size),
        "max_size": _pool_max_size,
        # Seconds a request waits for a free connection; then it is answered 503 with
        # Retry-After (apps.core.errors).
        "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
