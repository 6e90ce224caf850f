"""Plain Django views: the health report and the single-page app shell."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from .health import run_checks


@require_GET
@never_cache
def healthz(request):
    report = run_checks()
    return JsonResponse(report, status=200 if report["ok"] else 503)


@require_GET
@never_cache
@ensure_csrf_cookie
@login_required
def spa(request, path: str = ""):
    index = settings.FRONTEND_DIST / "index.html"
    if not index.exists():
        return HttpResponse(
            "The web app has not been built yet: run `make run` (or `make frontend`).",
            status=503,
            content_type="text/plain",
        )
    return HttpResponse(index.read_bytes(), content_type="text/html; charset=utf-8")
