"""MLflow's error shape, `{"error_code": "...", "message": "..."}`, which its clients turn
into MlflowException with that code. Failures are first put in the API's own terms by
apps.core.errors (one rule for validation, not-found, busy database, oversized bodies), then
given the MLflow code for their status (apps.mlflow_compat.codes)."""

from __future__ import annotations

from django.http import JsonResponse
from rest_framework.response import Response

from apps.core.errors import api_exception_handler

from .codes import (
    INVALID_PARAMETER_VALUE,
    RESOURCE_DOES_NOT_EXIST,
    mlflow_error_code,
)


class MlflowError(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status

    @classmethod
    def invalid(cls, message: str) -> MlflowError:
        return cls(INVALID_PARAMETER_VALUE, message, 400)

    @classmethod
    def not_found(cls, message: str) -> MlflowError:
        return cls(RESOURCE_DOES_NOT_EXIST, message, 404)

    def response(self) -> JsonResponse:
        return JsonResponse({"error_code": self.code, "message": self.message}, status=self.status)


def mlflow_error_response(exc, context) -> Response | None:
    """DRF's exception handling for the MLflow views: None for what is no client's fault
    (a bug: Django's handler500 answers it, in MLflow's shape under /api/2.0/)."""
    if isinstance(exc, MlflowError):
        return Response({"error_code": exc.code, "message": exc.message}, status=exc.status)
    response = api_exception_handler(exc, context)
    if response is None:
        return None
    error = response.data["error"]
    code = mlflow_error_code(response.status_code, routed=True)
    response.data = {"error_code": code, "message": error["message"]}
    return response
