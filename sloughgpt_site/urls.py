"""URL routing: REST API under /api/v1/, the OpenAI-compatible API under /v1/, the
MLflow-compatible tracking API under /api/2.0/, accounts,
admin, health, Prometheus metrics, then the SPA for the rest; JSON error handlers for the APIs."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.accounts.login import RateLimitedLoginView
from apps.core.views import healthz, spa
from apps.monitoring.metrics_view import metrics

api_v1 = [
    path("", include("apps.accounts.urls")),
    path("", include("apps.datasets.urls")),
    path("", include("apps.experiments.urls")),
    path("", include("apps.training.urls")),
    path("", include("apps.registry.urls")),
    path("", include("apps.rag.urls")),
    path("", include("apps.knowledge.urls")),
    path("", include("apps.chat.urls")),
    path("", include("apps.arena.urls")),
    path("", include("apps.personalities.urls")),
    path("", include("apps.sweeps.urls")),
    path("", include("apps.pipelines.urls")),
    path("", include("apps.quotas.urls")),
    path("", include("apps.teams.urls")),
    path("", include("apps.monitoring.urls")),
    path("", include("apps.cards.urls")),
    path("", include("apps.endpoints.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-v1:schema"), name="docs"),
]

urlpatterns = [
    path("api/v1/", include((api_v1, "api-v1"))),
    path("v1/", include("apps.chat.openai_urls")),
    # MLflow's clients log here (MLflow's own paths); see apps/mlflow_compat.
    path("api/2.0/", include(("apps.mlflow_compat.urls", "mlflow"))),
    path("accounts/login/", RateLimitedLoginView.as_view(), name="account_login"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Prometheus scrapes here, with its token or from an allowed network (apps.monitoring).
    path("metrics", metrics, name="metrics"),
    re_path(r"^(?!api/|v1/|static/|accounts/|admin/|ws/)(?P<path>.*)$", spa, name="spa"),
]

# allauth answers its rate limits (sign-up, password reset, ...) with this view.
handler429 = "apps.accounts.login.too_many_requests"

# Under /api/ and /v1/ these answer JSON in the API's error shape; elsewhere, Django's pages.
handler400 = "apps.core.errors.bad_request"
handler403 = "apps.core.errors.permission_denied"
handler404 = "apps.core.errors.page_not_found"
handler500 = "apps.core.errors.server_error"
