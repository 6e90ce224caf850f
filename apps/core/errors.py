"""One error format for the whole API:

    {"error": {"code": "validation_error", "message": "...", "fields": {"name": ["..."]}}}

Every failure a client can cause maps to a 4xx with this body; nothing leaks as a 500. A
request that found every database connection busy, or that the object store failed, is a
503 with Retry-After: it can be repeated as it was (an object store's answer that no retry
changes, such as a missing object or access denied, is a logged 500 instead).
Outside DRF views (unknown paths, a crash anywhere) `sloughgpt_site.urls` routes Django's
error handlers here, so every path under /api/ answers JSON too; /v1/ answers in OpenAI's
shape (`apps.chat.openai_api`), which carries the same "code" and "message", and /api/2.0/
in MLflow's (`apps.mlflow_compat`)."""

from __future__ import annotations

import sys

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db import OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.views import defaults
from psycopg_pool import PoolTimeout
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from apps.mlflow_compat.codes import mlflow_error_code

API_PREFIXES = ("/api/", "/v1/")
# The MLflow-compatible API (apps.mlflow_compat) answers in MLflow's shape,
# {"error_code", "message"}, with the codes MLflow's server gives an unrouted request.
MLFLOW_PREFIX = "/api/2.0/"
# How many of the objects that hold a row a 409 names before it says "and N more".
NAMED_HOLDERS = 3
# Seconds a client is told to wait when every database connection was busy: a burst that
# outgrew the pool drains within a few requests' time.
BUSY_RETRY_AFTER_S = 5
BUSY_MESSAGE = "The server is busy; try again in a few seconds."
STORAGE_MESSAGE = "The file store did not answer; try again in a few seconds."
# The object store's error codes that say "busy or failing for now" whatever HTTP status
# carried them (S3's, and those of S3-compatible servers).
STORAGE_TRANSIENT_CODES = frozenset({"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout",
                                     "ServiceUnavailable", "InternalError", "RequestLimitExceeded"})


class Conflict(exceptions.APIException):
    """The request is valid but the object's state refuses it (e.g. it is still in use)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object's current state does not allow this."
    default_code = "conflict"


class Gone(exceptions.APIException):
    """The request named something that existed but is used up for good (an expired link)."""

    status_code = status.HTTP_410_GONE
    default_detail = "This is no longer available."
    default_code = "gone"


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF nests errors like serializers nest fields; clients get dotted field paths."""
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            fields.update(_flatten(value, path))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            fields[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                fields.update(_flatten(item, f"{prefix}[{index}]"))
    else:
        fields[prefix or "non_field_errors"] = [str(detail)]
    return fields


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    body: dict = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def describe(obj) -> str:
    """An object as a user knows it: its kind, id and name (`training run 12 'lr sweep'`)."""
    label = f"{obj._meta.verbose_name} {obj.pk}"
    name = getattr(obj, "name", None)
    return f"{label} '{name}'" if name else label


def holders_message(holders, *, label=describe) -> str:
    """`used by training run 12 'a' and training run 13 'b'`, at most NAMED_HOLDERS named,
    each as `label` words it."""
    holders = sorted(holders, key=lambda obj: (obj._meta.verbose_name, obj.pk))
    named = [label(obj) for obj in holders[:NAMED_HOLDERS]]
    if len(holders) > NAMED_HOLDERS:
        named.append(f"{len(holders) - NAMED_HOLDERS} more")
    return "used by " + (f"{', '.join(named[:-1])} and {named[-1]}" if len(named) > 1 else named[0])


def database_busy(exc: BaseException | None) -> bool:
    """The web process waited out its pool's timeout for a database connection
    (`DATABASE_POOL_TIMEOUT`): the server is overloaded, the request is not at fault."""
    return isinstance(exc, OperationalError) and isinstance(exc.__cause__, PoolTimeout)


def storage_failed(exc: BaseException | None) -> bool:
    """The object store (S3, apps.core.storage) could not be reached, or answered that it is
    busy or failing (throttling, a 5xx): what the request stored was cleaned up, and it can
    be repeated as it was. An answer that no retry changes (a missing object, access denied,
    missing credentials) is not this: it stays a logged 500."""
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):
        return True
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
        http_status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return http_status >= 500 or code in STORAGE_TRANSIENT_CODES
    return False


def api_exception_handler(exc, context):
    if database_busy(exc):
        return Response(error_body("server_busy", BUSY_MESSAGE), status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": str(BUSY_RETRY_AFTER_S)})
    if storage_failed(exc):
        return Response(error_body("storage_unavailable", STORAGE_MESSAGE),
                        status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": str(BUSY_RETRY_AFTER_S)})
    if isinstance(exc, (ProtectedError, RestrictedError)):
        # A delete that the database's foreign keys refuse: nothing was removed.
        holders = getattr(exc, "protected_objects", None) or exc.restricted_objects
        exc = Conflict(f"It cannot be deleted: it is {holders_message(holders)}.")
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("request_too_large", "The request body is larger than the server accepts."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, ValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first_field, first_messages = next(iter(fields.items()))
        message = (
            first_messages[0]
            if first_field == "non_field_errors"
            else f"{first_field}: {first_messages[0]}"
        )
        response.data = error_body("validation_error", message, fields)
    else:
        detail = getattr(exc, "detail", str(exc))
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = error_body(str(code), str(detail))
    return response


# -- Django's error views, for everything DRF's handler does not see ----------------------------
def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIXES)


def api_error_response(request, status_code: int, code: str, message: str,
                       field: str | None = None) -> JsonResponse:
    """The error body for a path under /api/ (our shape), /api/2.0/ (MLflow's) or /v1/
    (OpenAI's); a field's error is named in the message as validation errors are (`search: ...`)."""
    fields = {field: [message]} if field else None
    message = f"{field}: {message}" if field else message
    if request.path.startswith(MLFLOW_PREFIX):
        code = mlflow_error_code(status_code, routed=False)
        return JsonResponse({"error_code": code, "message": message}, status=status_code)
    if request.path.startswith("/v1/"):
        kind = "server_error" if status_code >= 500 else "invalid_request_error"
        body = {"error": {"message": message, "type": kind, "param": field, "code": code}}
    else:
        body = error_body(code, message, fields)
    return JsonResponse(body, status=status_code)


def bad_request(request, exception, template_name=defaults.ERROR_400_TEMPLATE_NAME):
    if _is_api(request):
        return api_error_response(request, 400, "bad_request", "The request is malformed.")
    return defaults.bad_request(request, exception, template_name)


def permission_denied(request, exception, template_name=defaults.ERROR_403_TEMPLATE_NAME):
    if _is_api(request):
        return api_error_response(request, 403, "permission_denied",
                                  "You do not have permission to do this.")
    return defaults.permission_denied(request, exception, template_name)


def page_not_found(request, exception, template_name=defaults.ERROR_404_TEMPLATE_NAME):
    if _is_api(request):
        return api_error_response(request, 404, "not_found",
                                  f"Nothing is at {request.path}; the API's docs are at /api/v1/docs/.")
    return defaults.page_not_found(request, exception, template_name)


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    # Django has logged the exception; the client learns nothing about the server's insides.
    # Django calls this while it handles the exception (in the thread it handles it in).
    failure = sys.exc_info()[1]
    if _is_api(request) and (database_busy(failure) or storage_failed(failure)):
        code, message = ("server_busy", BUSY_MESSAGE) if database_busy(failure) else (
            "storage_unavailable", STORAGE_MESSAGE)
        response = api_error_response(request, 503, code, message)
        response["Retry-After"] = str(BUSY_RETRY_AFTER_S)
        return response
    if _is_api(request):
        return api_error_response(request, 500, "server_error",
                                  "The server failed to answer this request; it has been logged.")
    return defaults.server_error(request, template_name)
