"""Password sign-in pages under one set of limits. The site's page (allauth) and the admin's
both count failures with login_throttle and answer 429, with Retry-After, once a limit is
spent: the page still shows why, and scripts and proxies see the status they expect. allauth's
other limits (sign-up, password reset, ...) answer through `too_many_requests`, also with
Retry-After."""

from __future__ import annotations

from http import HTTPStatus

from allauth.account.views import LoginView
from allauth.core.internal.ratelimit import handler429
from allauth.decorators import rate_limit
from django.contrib.admin.forms import AdminAuthenticationForm

from .login_throttle import (
    RATE_LIMITED,
    account_retry_after,
    login_attempt_begin,
    login_retry_after,
)


def _refused_for_rate(response, form, *, login: str):
    """Turn a page that shows the form's rate-limit error into a 429 that says when to retry."""
    codes = {error.code for errors in form.errors.as_data().values() for error in errors}
    if RATE_LIMITED in codes:
        response.status_code = HTTPStatus.TOO_MANY_REQUESTS
        response["Retry-After"] = str(login_retry_after(form.request, login=login))
    return response


class RateLimitedLoginView(LoginView):
    def form_invalid(self, form):
        return _refused_for_rate(super().form_invalid(form), form, login=form.data.get("login", ""))


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's sign-in, counted with the site's: a failure, including a right password for
    an account that is not staff, spends one attempt, and a spent limit refuses even the right
    password. The check before it costs one password hash whatever the outcome."""

    def clean(self):
        login, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if login is None or not password:
            return super().clean()  # nothing is checked: the fields say what is missing
        attempt = login_attempt_begin(self.request, login=login)
        cleaned = super().clean()  # raises for a wrong password or an account that is not staff
        attempt.rollback()
        return cleaned


def admin_login(login_view):
    """Wrap AdminSite.login: allauth's per-address limit on login requests, and 429 when the
    failed-login limit refuses."""

    @rate_limit(action="login")
    def view(request, extra_context=None):
        response = login_view(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        if request.method == "POST" and form is not None:
            return _refused_for_rate(response, form, login=form.data.get("username", ""))
        return response

    return view


def too_many_requests(request, exception=None):
    """allauth's 429 page (its `handler429`), with how long to wait."""
    response = handler429(request)
    response["Retry-After"] = str(account_retry_after(request))
    return response
