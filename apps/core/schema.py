"""The OpenAPI schema documents every error an operation can answer, once for all views:
each operation lists the 4xx statuses that apply to it with the one error body of
`apps.core.errors` (`ErrorResponse`), so clients (and schemathesis) know every answer.
A view without DRF throttles that can still answer 429 (a quota it checks itself) says so
with `answers_too_many_requests = True`; one that can answer 410 (a used-up link) with
`answers_gone = True`."""

from __future__ import annotations

from drf_spectacular import openapi
from rest_framework import serializers
from rest_framework.permissions import AllowAny

BODY_METHODS = {"POST", "PUT", "PATCH"}
WRITE_METHODS = BODY_METHODS | {"DELETE"}
WHY = {
    "400": "The request is malformed or a field is invalid (`fields` names each).",
    "401": "No valid credentials: sign in, or send `Authorization: Bearer <API token>`.",
    "403": "Signed in, but not allowed (or a browser write without its CSRF token).",
    "404": "No such object among yours (another user's id answers the same).",
    "409": "The object's state refuses this now (e.g. it is still in use, or not ready).",
    "410": "What the request names is used up for good (an invitation used, revoked or expired).",
    "413": "The request body is larger than the server accepts, or your quota is spent.",
    "415": "The body's content type is not one this operation reads.",
    "429": "Too many requests; `Retry-After` says when to try again.",
    "503": "Every database connection is busy; `Retry-After` says when to try again.",
}
# The statuses whose answer carries Retry-After, documented as a header of the response.
RETRY_AFTER = {"429", "503"}


class ErrorDetail(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable: `validation_error`, `not_found`...")
    message = serializers.CharField(help_text="One sentence for people.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="Each invalid field's messages, by dotted path (`config.optim.lr`).")

    class Meta:
        ref_name = "ErrorDetail"


class ErrorResponse(serializers.Serializer):
    error = ErrorDetail()

    class Meta:
        ref_name = "ErrorResponse"


class AutoSchema(openapi.AutoSchema):
    def _error_statuses(self) -> list[str]:
        statuses = ["400", "404"]
        if not any(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            statuses += ["401", "403"]
        if self.method in WRITE_METHODS:
            statuses.append("409")
        if self.method in BODY_METHODS:
            statuses.append("413")
            if not any(parser.media_type == "*/*" for parser in self.view.get_parsers()):
                statuses.append("415")
        if getattr(self.view, "answers_gone", False):
            statuses.append("410")
        if self.view.get_throttles() or getattr(self.view, "answers_too_many_requests", False):
            statuses.append("429")
        # Any request can find the database pool exhausted (apps.core.errors.database_busy).
        statuses.append("503")
        return sorted(statuses)

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # drf-spectacular drops `allow_null` of a list's serializer items ("null where the run
        # lacks the key"), so documented nulls would look like schema violations.
        child = getattr(field, "child", None)
        if (isinstance(field, serializers.ListField) and isinstance(child, serializers.Serializer)
                and child.allow_null and "$ref" in schema.get("items", {})):
            schema["items"] = {"allOf": [schema["items"]], "nullable": True}
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_statuses():
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorResponse, code,
                                                               direction=direction)
                responses[code]["description"] = WHY[code]
            if code in RETRY_AFTER:
                responses[code]["headers"] = {"Retry-After": {
                    "description": "Seconds to wait before trying again.",
                    "required": True, "schema": {"type": "integer", "minimum": 0},
                }}
        return responses
