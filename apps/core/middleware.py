"""Refuses, for every path under /api/ and /v1/, URLs that no view can serve safely: a NUL
character in the path or a query parameter (PostgreSQL text cannot hold it, so a search or
a metric key with `%00` would fail in the database). JSON bodies get the same rule in
`apps.core.parsers`."""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from .errors import API_PREFIXES, api_error_response

NUL_MESSAGE = "Must not contain the NUL character (%00)."


def _refusal(request):
    if not request.path.startswith(API_PREFIXES):
        return None
    if "\x00" in request.path:
        return api_error_response(request, 400, "invalid_path", f"The path: {NUL_MESSAGE}")
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            shown = name.replace("\x00", "%00")
            return api_error_response(request, 400, "validation_error", NUL_MESSAGE, field=shown)
    return None


class RefuseNulMiddleware:
    # Both kinds, so the async /v1 views are not switched through a thread for this check.
    sync_capable = async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        return _refusal(request) or self.get_response(request)

    async def _acall(self, request):
        return _refusal(request) or await self.get_response(request)
