"""PostgreSQL (with pgvector) from DATABASE_URL or the embedded development server."""

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import env_int, service_url

_database_url = service_url("DATABASE_URL")
if not _database_url:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set and no embedded PostgreSQL is running. "
        "Start everything with `make run`, or set DATABASE_URL=postgresql://USER:PASS@HOST/DB."
    )

DATABASES = {
    "default": dj_database_url.parse(
        _database_url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60), conn_health_checks=True
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
