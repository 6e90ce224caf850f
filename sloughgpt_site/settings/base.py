"""Settings shared by every environment; integrations live in their own modules."""

from .accounts import *  # noqa: F403
from .cache import *  # noqa: F403
from .celery_config import *  # noqa: F403
from .content_security import *  # noqa: F403
from .database import *  # noqa: F403
from .drf import *  # noqa: F403
from .drift import *  # noqa: F403
from .env import BASE_DIR, VAR_DIR, env_int, env_list, env_str
from .metrics import *  # noqa: F403
from .outbound import *  # noqa: F403
from .product import *  # noqa: F403
from .storage import *  # noqa: F403

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-development-key-change-me")
DEBUG = False
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "sloughgpt_site.apps.SloughGPTAdminConfig",  # django.contrib.admin, titled SloughGPT
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "allauth",
    "allauth.account",
    "csp",
    "apps.core",
    "apps.accounts",
    "apps.datasets",
    "apps.experiments",
    "apps.mlflow_compat",
    "apps.training",
    "apps.registry",
    "apps.rag",
    "apps.knowledge",
    "apps.chat",
    "apps.arena",
    "apps.personalities",
    "apps.sweeps",
    "apps.pipelines",
    "apps.teams",
    "apps.monitoring",
    "apps.quotas",
    "apps.cards",
    "apps.endpoints",
]

MIDDLEWARE = [
    # First, so it times and counts every request, refusals by the others included.
    "apps.monitoring.metrics_http.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "apps.core.middleware.RefuseNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "apps.teams.audit.AuditRequestMiddleware",
    "apps.quotas.ratelimit.RateLimitHeadersMiddleware",
]

ROOT_URLCONF = "sloughgpt_site.urls"
ASGI_APPLICATION = "sloughgpt_site.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
# whitenoise expects the folder even when files are served from the finders.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# The built single-page app (Vite writes it here).
FRONTEND_DIST = BASE_DIR / "frontend" / "dist"
STATICFILES_DIRS = [FRONTEND_DIST] if FRONTEND_DIST.exists() else []
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

# Request bodies: JSON API calls are small; uploads stream to disk instead.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the SPA reads it to send X-CSRFToken
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
