"""Redis: cache (also backs login-failure rate limits), Celery broker and channel layer each
use their own logical database on one server from REDIS_URL or the embedded server."""

from django.core.exceptions import ImproperlyConfigured

from .env import redis_db_url, service_url

REDIS_URL = service_url("REDIS_URL")
if not REDIS_URL:
    raise ImproperlyConfigured(
        "REDIS_URL is not set and no embedded Redis is running. "
        "Start everything with `make run`, or set REDIS_URL=redis://HOST:6379/0."
    )

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_db_url(REDIS_URL, 1),
        "KEY_PREFIX": "sloughgpt",
    }
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [redis_db_url(REDIS_URL, 2)], "capacity": 1500, "expiry": 30},
    }
}
