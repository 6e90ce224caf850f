"""Development: `make run` on one machine, emails printed to the console. DJANGO_DEBUG=0
turns debug mode off (the benchmarks do, to measure what production runs)."""

from .base import *  # noqa: F403
from .env import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
