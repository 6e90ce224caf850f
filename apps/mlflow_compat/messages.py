"""Reading MLflow's request messages: each endpoint names its fields and their kinds (as in
MLflow's service.proto), a field it does not name is refused, and values come back typed.
GET requests carry the same fields in the query string. Proto3's JSON lets 64-bit integers
travel as strings, and doubles as "NaN" or "Infinity", so both are read here; whether a
value is acceptable (finite, in range) is the services' call."""

from __future__ import annotations

from collections.abc import Mapping

from .errors import MlflowError

STRING, INT64, DOUBLE, STRINGS, ENUM = "string", "int64", "double", "strings", "enum"
_SPECIAL_DOUBLES = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}

# Nested messages: entries of LogBatch and CreateRun/CreateExperiment tags.
METRIC = {"key": STRING, "value": DOUBLE, "timestamp": INT64, "step": INT64,
          "dataset_name": STRING, "dataset_digest": STRING, "model_id": STRING, "run_id": STRING}
KEY_VALUE = {"key": STRING, "value": STRING}


def _int64(value, where: str) -> int:
    if isinstance(value, str) and value.lstrip("-").isdigit():
        value = int(value)
    if type(value) is not int or not -(2**63) <= value < 2**63:
        raise MlflowError.invalid(f"{where}: expected a 64-bit integer, got {value!r}.")
    return value


def _double(value, where: str) -> float:
    if isinstance(value, str) and value in _SPECIAL_DOUBLES:
        return _SPECIAL_DOUBLES[value]
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    elif type(value) in (int, float):
        return float(value)
    raise MlflowError.invalid(f"{where}: expected a number, got {value!r}.")


def _string(value, where: str) -> str:
    if not isinstance(value, str):
        raise MlflowError.invalid(f"{where}: expected a string, got {value!r}.")
    return value


def _entries(value, spec: dict, where: str) -> list[dict]:
    if not isinstance(value, list):
        raise MlflowError.invalid(f"{where}: expected a list.")
    return [read_fields(item, spec, where=f"{where}[{index}]") for index, item in enumerate(value)]


def _read(kind, value, where: str):
    if isinstance(kind, dict):
        return _entries(value, kind, where)
    if kind == INT64:
        return _int64(value, where)
    if kind == DOUBLE:
        return _double(value, where)
    if kind == STRINGS:
        if not isinstance(value, list):
            raise MlflowError.invalid(f"{where}: expected a list of strings.")
        return [_string(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if kind == ENUM and isinstance(value, int) and not isinstance(value, bool):
        return value
    return _string(value, where)


def read_fields(data, spec: dict, *, where: str = "") -> dict:
    """`data`'s fields as `spec` types them; absent ones are None. Unknown fields are refused
    by name, as is anything that is not an object."""
    if not isinstance(data, Mapping):
        raise MlflowError.invalid(f"{where or 'The request body'}: expected a JSON object.")
    unknown = sorted(set(data) - set(spec))
    if unknown:
        place = f" in {where}" if where else ""
        raise MlflowError.invalid(
            f"Unknown field {unknown[0]!r}{place}; expected one of: {', '.join(sorted(spec))}."
        )
    out = dict.fromkeys(spec)
    for name, value in data.items():
        if value is not None:
            out[name] = _read(spec[name], value, f"{where}.{name}" if where else name)
    return out


def read_request(request, spec: dict) -> dict:
    """The request's message: the JSON body, or for GET the query string."""
    if request.method == "GET":
        query = request.query_params
        data = {name: query.getlist(name) if spec.get(name) == STRINGS else query.get(name)
                for name in query}
    else:
        data = request.data
    return read_fields(data, spec)


def require(message: dict, name: str):
    """A field the endpoint cannot do without (MLflow answers its absence with a 400)."""
    value = message.get(name)
    if value in (None, ""):
        raise MlflowError.invalid(f"Missing value for required parameter '{name}'.")
    return value
