"""The `error_code` MLflow's tracking server answers with for each HTTP status. It imports
nothing of ours, so the API's error handlers (apps.core.errors, for requests no view routed)
and the MLflow views (apps.mlflow_compat.errors) read the same table."""

from __future__ import annotations

INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
BAD_REQUEST = "BAD_REQUEST"

# status -> (code when a view was routed, code when none was). MLflow's server names the same
# status differently on purpose: a handler it routed to refuses a value (INVALID_PARAMETER_VALUE)
# or an id (RESOURCE_DOES_NOT_EXIST), while a request it could not route is malformed
# (BAD_REQUEST) or names no endpoint (ENDPOINT_NOT_FOUND), which clients report apart.
_CODES = {
    400: (INVALID_PARAMETER_VALUE, BAD_REQUEST),
    401: ("UNAUTHENTICATED", "UNAUTHENTICATED"),
    403: ("PERMISSION_DENIED", "PERMISSION_DENIED"),
    404: (RESOURCE_DOES_NOT_EXIST, "ENDPOINT_NOT_FOUND"),
    405: ("ENDPOINT_NOT_FOUND", "ENDPOINT_NOT_FOUND"),
    409: (RESOURCE_ALREADY_EXISTS, RESOURCE_ALREADY_EXISTS),
    413: (INVALID_PARAMETER_VALUE, INVALID_PARAMETER_VALUE),
    415: (BAD_REQUEST, BAD_REQUEST),
    429: ("REQUEST_LIMIT_EXCEEDED", "REQUEST_LIMIT_EXCEEDED"),
    500: ("INTERNAL_ERROR", "INTERNAL_ERROR"),
    503: ("TEMPORARILY_UNAVAILABLE", "TEMPORARILY_UNAVAILABLE"),
}


def mlflow_error_code(status: int, *, routed: bool) -> str:
    """MLflow's code for `status`; one the table lacks is the client's fault below 500."""
    codes = _CODES.get(status)
    if codes is None:
        return "INTERNAL_ERROR" if status >= 500 else BAD_REQUEST
    return codes[0] if routed else codes[1]
