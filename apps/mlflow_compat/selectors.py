"""Reads behind the MLflow-compatible API, through the access policy like every selector
(apps.core.access: the caller's own objects and those their teams share): experiments and
runs found by MLflow's search, one metric's full history page by page, and a run's
artifacts as MLflow's folder tree."""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When

from apps.core import storage as core_storage
from apps.core.access import access_annotate, access_get, access_queryset
from apps.experiments import storage
from apps.experiments.metric_store import POINTS
from apps.experiments.models import Artifact, Experiment, MetricSeries, Run
from apps.experiments.query_language import QuerySyntaxError, parse_filter, parse_order_by
from apps.experiments.run_query import apply_search
from apps.experiments.validation import MIN_INT64, artifact_path_clean

from . import search
from .errors import MlflowError
from .ids import DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME, parse_id

MAX_SEARCH_RESULTS = 50_000  # MLflow's own cap for SearchRuns
MAX_EXPERIMENT_RESULTS = 50_000
MAX_HISTORY_RESULTS = 25_000  # what MLflow's clients ask for per page
# By name, or by the enum's number (as JSON or, in a query string, as text).
VIEW_TYPES = {"ACTIVE_ONLY": 1, "DELETED_ONLY": 2, "ALL": 3, 1: 1, 2: 2, 3: 3, "1": 1, "2": 2, "3": 3}

# ---- paging --------------------------------------------------------------------------------


def _token(*numbers: int) -> str:
    return base64.urlsafe_b64encode(":".join(map(str, numbers)).encode()).decode()


def _untoken(token: str | None, lowest: tuple[int, ...]) -> list[int] | None:
    """The token's numbers, each at least its `lowest` and below 2^63."""
    if not token:
        return None
    try:
        numbers = [int(part) for part in base64.urlsafe_b64decode(token).decode().split(":")]
    except (binascii.Error, UnicodeDecodeError, ValueError):
        numbers = []
    if len(numbers) != len(lowest) or any(not low <= n < 2**63 for low, n in zip(lowest, numbers)):
        raise MlflowError.invalid(f"Invalid page token {token!r}.")
    return numbers


def _limit(max_results, default: int, cap: int) -> int:
    if max_results is None or max_results == 0:
        return default
    if not 1 <= max_results <= cap:
        raise MlflowError.invalid(f"'max_results' must be between 1 and {cap}; got {max_results}.")
    return max_results


def _view(view_type) -> int:
    if view_type is None:
        return 1
    if view_type not in VIEW_TYPES:
        raise MlflowError.invalid("The view type is one of ACTIVE_ONLY, DELETED_ONLY, ALL; "
                                  f"got {view_type!r}.")
    return VIEW_TYPES[view_type]


# ---- experiments ---------------------------------------------------------------------------

_NAME_FILTER = re.compile(r"\s*(?:attributes?\.)?name\s*(=|!=|like|ilike)\s*'((?:[^'\\]|\\.)*)'\s*",
                          re.IGNORECASE)
_EXPERIMENT_ORDER = {"name": "name", "creation_time": "created_at",
                     "last_update_time": "updated_at", "experiment_id": "id"}


def _like_regex(pattern: str) -> str:
    parts = (".*" if char == "%" else "." if char == "_" else re.escape(char) for char in pattern)
    return "^" + "".join(parts) + "$"


def _experiment_filter(queryset: QuerySet, text: str | None) -> QuerySet:
    if not text or not text.strip():
        return queryset
    match = _NAME_FILTER.fullmatch(text)
    if match is None:
        raise MlflowError.invalid("Experiments are searched by name only: name = 'x', "
                                  f"name != 'x', name LIKE 'x%' or name ILIKE 'x%'; got {text!r}.")
    op, value = match[1].lower(), re.sub(r"\\(.)", r"\1", match[2])
    if op == "=":
        return queryset.filter(name=value)
    if op == "!=":
        return queryset.exclude(name=value)
    lookup = "name__regex" if op == "like" else "name__iregex"
    return queryset.filter(**{lookup: _like_regex(value)})


def _experiment_order(order_by: list[str] | None) -> list[str]:
    terms = []
    for term in order_by or []:
        words = term.split()
        field = words[0].lower().removeprefix("attributes.").removeprefix("attribute.") if words else ""
        direction = words[1].lower() if len(words) == 2 else "asc"
        if field not in _EXPERIMENT_ORDER or len(words) > 2 or direction not in ("asc", "desc"):
            raise MlflowError.invalid(f"Invalid order_by clause {term!r}: order by one of "
                                      f"{', '.join(_EXPERIMENT_ORDER)}, then ASC or DESC.")
        terms.append(("-" if direction == "desc" else "") + _EXPERIMENT_ORDER[field])
    return [*terms, "-created_at", "-id"]


def experiment_search(*, user, filter_text: str | None, order_by: list[str] | None,
                      max_results: int | None, page_token: str | None,
                      view_type=None) -> tuple[list[Experiment], str | None]:
    limit = _limit(max_results, 1000, MAX_EXPERIMENT_RESULTS)
    (offset,) = _untoken(page_token, (0,)) or [0]
    queryset = access_queryset(Experiment, user=user)
    if _view(view_type) == 2:  # nothing here is ever soft-deleted
        queryset = queryset.none()
    queryset = _experiment_filter(queryset, filter_text).order_by(*_experiment_order(order_by))
    found = list(queryset[offset : offset + limit + 1])
    more = len(found) > limit
    return found[:limit], _token(offset + limit) if more else None


def experiment_by_name(*, user, name: str) -> Experiment:
    """The readable experiment with this name: the caller's own before one shared with them
    (names are unique per owner, not across a team)."""
    own_first = Case(When(access_role="owner", then=Value(0)), default=Value(1), output_field=IntegerField())
    readable = access_annotate(access_queryset(Experiment, user=user), user=user)
    found = readable.filter(name=name).order_by(own_first, "-created_at", "-id").first()
    if found is None:
        raise MlflowError.not_found(f"Could not find experiment with name '{name}'")
    return found


# ---- runs ----------------------------------------------------------------------------------


def _runs(*, user) -> QuerySet[Run]:
    return access_queryset(Run, user=user).prefetch_related(
        Prefetch("metric_series", queryset=MetricSeries.objects.order_by("key")))


def run_get(*, user, run_id) -> Run:
    return access_get(_runs(user=user), user=user, pk=parse_id(run_id, kind="run"))


def _experiment_pks(*, user, experiment_ids: list[str]) -> list[int]:
    """The experiments among `experiment_ids` the caller may read ("0" is their own Default
    experiment); other ids match nothing, as MLflow's search matches no missing experiment."""
    pks = [parse_id(raw, kind="experiment") for raw in experiment_ids if raw != DEFAULT_EXPERIMENT_ID]
    readable = access_queryset(Experiment, user=user)
    if DEFAULT_EXPERIMENT_ID in experiment_ids:
        # "0" is the caller's private Default, as experiment_resolve makes and finds it.
        pks += readable.filter(owner=user, team__isnull=True, name=DEFAULT_EXPERIMENT_NAME).values_list(
            "pk", flat=True)
    return list(readable.filter(pk__in=pks).values_list("pk", flat=True))


def run_search(*, user, experiment_ids: list[str], filter_text: str | None,
               order_by: list[str] | None, max_results: int | None, page_token: str | None,
               view_type=None) -> tuple[list[Run], str | None]:
    limit = _limit(max_results, 1000, MAX_SEARCH_RESULTS)
    (offset,) = _untoken(page_token, (0,)) or [0]
    try:
        where = parse_filter(search.filter_text(filter_text or ""))
    except QuerySyntaxError as exc:
        raise MlflowError.invalid(f"Invalid filter {filter_text!r}: {exc}") from None
    try:
        order = parse_order_by(search.order_text(order_by or []))
    except QuerySyntaxError as exc:
        raise MlflowError.invalid(f"Invalid order_by {order_by!r}: {exc}") from None
    queryset = _runs(user=user).filter(experiment__in=_experiment_pks(
        user=user, experiment_ids=experiment_ids))
    if _view(view_type) == 2:
        queryset = queryset.none()
    found = list(apply_search(queryset, where=where, order=order)[offset : offset + limit + 1])
    more = len(found) > limit
    return found[:limit], _token(offset + limit) if more else None


# ---- metric history ------------------------------------------------------------------------

# One page of points as MLflow's Metric JSON, built by the database (a 25k-point page is one
# row of text, not 25k Python dicts); the last point's (step, id) is the next page's start.
_HISTORY = f"""
SELECT coalesce(json_agg(json_build_object(
           'key', %(key)s::text, 'value', value, 'timestamp', round(timestamp * 1000)::bigint,
           'step', step) ORDER BY step, id)::text, '[]'),
       count(*), max(step), (array_agg(id ORDER BY step DESC, id DESC))[1]
FROM (SELECT id, step, value, timestamp FROM {POINTS}
      WHERE series_id = %(series)s AND (step, id) > (%(step)s, %(id)s)
      ORDER BY step, id LIMIT %(limit)s) AS page
"""


def metric_history(*, user, run_id, key: str, max_results: int | None,
                   page_token: str | None) -> tuple[str, str | None]:
    """(the page's metrics as a JSON array text, the next page's token or None). Without
    max_results the whole history comes back, as from MLflow's server."""
    run = access_get(Run, user=user, pk=parse_id(run_id, kind="run"))
    series = MetricSeries.objects.filter(run=run, key=key).first()
    if series is None:
        return "[]", None
    limit = _limit(max_results, series.count + 1, MAX_HISTORY_RESULTS)
    # Steps may be negative (any 64-bit integer), so the first page starts below them all.
    step, point_id = _untoken(page_token, (MIN_INT64, 0)) or [MIN_INT64, 0]
    with connection.cursor() as cursor:
        cursor.execute(_HISTORY, {"key": key, "series": series.pk, "step": step, "id": point_id,
                                  "limit": limit})
        metrics, count, last_step, last_id = cursor.fetchone()
    return metrics, _token(last_step, last_id) if count == limit else None


# ---- artifacts -----------------------------------------------------------------------------


def artifact_place(*, user, path: str) -> tuple[Run, str]:
    """(the run, the artifact's name within it, "" for its root) that MLflow's artifact path
    `<experiment_id>/<run_id>/artifacts[/<name>]` names. The name is checked as every
    artifact name is (no '..', absolute paths, backslashes or control characters)."""
    experiment_id, _, rest = (path or "").strip("/").partition("/")
    run_id, _, rest = rest.partition("/")
    folder, _, name = rest.partition("/")
    if folder != "artifacts":
        raise MlflowError.not_found(f"No artifact at {path!r}: paths are "
                                    "<experiment_id>/<run_id>/artifacts/<name>.")
    run = access_get(Run, user=user, pk=parse_id(run_id, kind="run"))
    if run.experiment_id != parse_id(experiment_id, kind="experiment"):
        raise MlflowError.not_found(f"Run {run.pk} is not in experiment {experiment_id}.")
    try:
        return run, artifact_path_clean(name) if name.strip("/") else ""
    except ValidationError as exc:
        raise MlflowError.invalid(f"Invalid artifact path {name!r}: {exc.messages[0]}") from None


def artifact_listing(*, user, path: str) -> list[dict]:
    """The folder's direct entries as MLflow's FileInfo: files with their size, folders
    (the leading parts of longer names) without."""
    run, folder = artifact_place(user=user, path=path)
    prefix = f"{folder}/" if folder else ""
    artifacts = Artifact.objects.filter(run=run, path__startswith=prefix)
    entries: dict[str, dict] = {}
    for name, size in artifacts.values_list("path", "size"):
        head, slash, _ = name[len(prefix):].partition("/")
        entries.setdefault(head, {"path": head, "is_dir": True} if slash else
                           {"path": head, "is_dir": False, "file_size": size})
    return [entries[name] for name in sorted(entries)]


def artifact_open(*, user, path: str) -> tuple[Artifact, Path]:
    run, name = artifact_place(user=user, path=path)
    artifact = Artifact.objects.filter(run=run, path=name).first()
    if artifact is None:
        raise MlflowError.not_found(f"Run {run.pk} has no artifact {name!r}.")
    file = storage.artifact_file(run.owner_id, run.pk, artifact.pk)
    if not core_storage.stored_exists(file):
        raise MlflowError.not_found(f"The file of artifact {name!r} is missing.")
    return artifact, file
