"""The sign-in page, answering 429 rather than 200 once allauth refuses an address or client
for too many failed attempts: the page still shows why, and scripts and proxies see the
status they expect from a rate limit."""

from __future__ import annotations

from http import HTTPStatus

from allauth.account.views import LoginView

RATE_LIMITED = "too_many_login_attempts"  # allauth's error code for the login_failed limit


class RateLimitedLoginView(LoginView):
    def form_invalid(self, form):
        response = super().form_invalid(form)
        codes = {error.code for errors in form.errors.as_data().values() for error in errors}
        if RATE_LIMITED in codes:
            response.status_code = HTTPStatus.TOO_MANY_REQUESTS
        return response
