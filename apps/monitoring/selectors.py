"""Reads of monitoring data, scoped by the access policy: a model version's series for whoever
may read the version (apps.core.access), the site's series for staff; a generation's trace for
its user, and every trace of a version for those who may share it (its owners).

`series` reads the rollups of one version (or the site) in one query, whatever the range: a
year of hourly buckets is 8,784 rows. Latency percentiles come from the rollups' histogram
counts (`LATENCY_BUCKETS_MS`), interpolated linearly inside the bucket the percentile falls
in; one in the overflow bucket reads as its lower bound (the last bucket's upper bound)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.db.models import Case, F, Q, QuerySet, When
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from apps.core.access import Action, access_get, access_queryset
from apps.registry.models import ModelVersion

from .models import LATENCY_BUCKETS_MS, InferenceRecord, UsageRollup
from .rollups import bucket_starts

Point = tuple[datetime, float | None]


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def percentile(counts: list[int], q: float) -> float | None:
    """The q-th quantile (0..1) of a histogram of LATENCY_BUCKETS_MS counts; None if empty."""
    total = sum(counts)
    if not total:
        return None
    rank, seen = q * total, 0
    for i, count in enumerate(counts):
        if count and seen + count >= rank:
            if i >= len(LATENCY_BUCKETS_MS):
                return float(LATENCY_BUCKETS_MS[-1])
            low = LATENCY_BUCKETS_MS[i - 1] if i else 0
            return low + (LATENCY_BUCKETS_MS[i] - low) * (rank - seen) / count
        seen += count
    return float(LATENCY_BUCKETS_MS[-1])


def _p(field: str, q: float) -> Callable[[dict], float | None]:
    return lambda row: percentile(row[field], q)


# Each series from one rollup row (a dict of its fields), in the order the UI lists them.
_FROM_ROLLUP: dict[str, Callable[[dict], float | None]] = {
    "requests": lambda r: r["requests"],
    "errors": lambda r: r["errors"],
    "error_rate": lambda r: _ratio(r["errors"], r["requests"]),
    "prompt_tokens": lambda r: r["prompt_tokens"],
    "completion_tokens": lambda r: r["completion_tokens"],
    "latency_p50_ms": _p("latency_buckets", 0.5),
    "latency_p95_ms": _p("latency_buckets", 0.95),
    "latency_p99_ms": _p("latency_buckets", 0.99),
    "ttft_p50_ms": _p("ttft_buckets", 0.5),
    "ttft_p95_ms": _p("ttft_buckets", 0.95),
    "feedback_up": lambda r: r["feedback_up"],
    "feedback_down": lambda r: r["feedback_down"],
    # The share of rated replies rated up.
    "feedback_ratio": lambda r: _ratio(r["feedback_up"], r["feedback_up"] + r["feedback_down"]),
    "arena_wins": lambda r: r["arena_wins"],
    "arena_losses": lambda r: r["arena_losses"],
    "arena_win_rate": lambda r: _ratio(r["arena_wins"], r["arena_wins"] + r["arena_losses"]),
}
SERIES_NAMES = tuple(_FROM_ROLLUP)
# A bucket without traffic: counts are 0, rates and percentiles have no value.
_EMPTY = {"requests": 0, "errors": 0, "prompt_tokens": 0, "completion_tokens": 0, "latency_buckets": [],
          "ttft_buckets": [], "feedback_up": 0, "feedback_down": 0, "arena_wins": 0, "arena_losses": 0}
DRIFT_VALUES = ("statistic", "p_value")
STEP = {UsageRollup.Granularity.HOUR: timedelta(hours=1), UsageRollup.Granularity.DAY: timedelta(days=1)}
MAX_BUCKETS = 366 * 24  # a year of hours (or of days, far fewer)


def drift_series_names() -> list[str]:
    from .models import DriftKind

    return [f"drift_{kind}_{value}" for kind in DriftKind.values for value in DRIFT_VALUES]


def check_series_names(names: Iterable[str]) -> list[str]:
    """The names, each once in the order first given, or a 400 naming `series` for any this
    selector does not know."""
    names = list(dict.fromkeys(names))
    known = set(SERIES_NAMES) | set(drift_series_names())
    if len(names) > len(known):
        # Each name costs a pass over the buckets: more names than there are series is a
        # mistake, and not one worth naming back name by name.
        raise ValidationError({"series": [f"at most {len(known)} different series at once"]})
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        problem = f"unknown series {', '.join(map(repr, unknown))}" if unknown else "name at least one series"
        raise ValidationError({"series": [
            f"{problem}: one of {', '.join(SERIES_NAMES)}, or drift_<kind>_statistic / drift_<kind>_p_value"]})
    return names


def monitored_version(*, user, model_version_id: int | None) -> int | None:
    """The version whose monitoring `user` reads (404 unless they may read it), or None for
    the site's, which only staff read (404 for anyone else, as if the route did not exist)."""
    if model_version_id is None:
        if not (user.is_authenticated and user.is_staff):
            raise NotFound("Not found.")
        return None
    return access_get(ModelVersion, user=user, pk=model_version_id, action=Action.READ).pk


def buckets(granularity: str, start: datetime, end: datetime) -> list[datetime]:
    """The starts of the buckets that hold start .. end (end excluded); a 400 past MAX_BUCKETS."""
    if granularity not in STEP:
        raise ValidationError({"granularity": ["one of hour, day"]})
    if end <= start:
        raise ValidationError({"end": ["must be after start"]})
    first, step = bucket_starts(start)[granularity], STEP[granularity]
    count = -(-(end - first) // step)
    if count > MAX_BUCKETS:
        raise ValidationError({"start": [f"at most {MAX_BUCKETS} {granularity} buckets at once"]})
    return [first + i * step for i in range(count)]


def _rollup_values(version_id: int | None, granularity: str, starts: list[datetime]) -> list[dict]:
    rows = UsageRollup.objects.filter(model_version_id=version_id, granularity=granularity,
                                      bucket_start__gte=starts[0], bucket_start__lte=starts[-1])
    found = {row["bucket_start"]: row for row in rows.values(*_EMPTY, "bucket_start")}
    return [found.get(start, _EMPTY) for start in starts]


def _drift_points(version_id: int | None, name: str, granularity: str, starts: list[datetime]) -> list[Point]:
    """The drift value of each bucket: that of the last test whose window ended in it."""
    from .models import DriftResult

    field = "p_value" if name.endswith("_p_value") else "statistic"
    kind = name.removeprefix("drift_").removesuffix(f"_{field}")
    step = STEP[granularity]
    latest: dict[datetime, float | None] = {}
    if version_id is not None:
        results = DriftResult.objects.filter(
            model_version_id=version_id, kind=kind, status=DriftResult.Status.OK,
            window_end__gte=starts[0], window_end__lt=starts[-1] + step).order_by("window_end")
        for window_end, number in results.values_list("window_end", field):
            latest[bucket_starts(window_end)[granularity]] = number
    return [(start, latest.get(start)) for start in starts]


def series_set(*, user, model_version_id: int | None, names: Iterable[str], granularity: str,
               start: datetime, end: datetime) -> dict[str, list[Point]]:
    """Each named series over start .. end: one (bucket start, value) per bucket, None where a
    rate or percentile has nothing to go on. One rollup query for every rollup series."""
    names = check_series_names(names)
    version_id = monitored_version(user=user, model_version_id=model_version_id)
    starts = buckets(granularity, start, end)
    out: dict[str, list[Point]] = {}
    rows = None
    for name in names:
        if name in _FROM_ROLLUP:
            rows = rows if rows is not None else _rollup_values(version_id, granularity, starts)
            value = _FROM_ROLLUP[name]
            out[name] = [(start, value(row)) for start, row in zip(starts, rows)]
        else:
            out[name] = _drift_points(version_id, name, granularity, starts)
    return out


def series(*, user, model_version_id: int | None, name: str, granularity: str, start: datetime,
           end: datetime) -> list[Point]:
    """One series (`SERIES_NAMES` or drift_<kind>_statistic / _p_value) of a version or, for
    staff, the site: (bucket start, value) per hour or day bucket over start .. end."""
    return series_set(user=user, model_version_id=model_version_id, names=[name],
                      granularity=granularity, start=start, end=end)[name]


# -- traces -------------------------------------------------------------------------------------
def _traceable(user) -> Q:
    """Records `user` may open: their own, and every user's records of a version they may
    share (its owners: its user, or its team's admins and owners). Readers of a version see
    only their own requests' timing, tokens and errors."""
    return Q(user=user) | Q(model_version__in=access_queryset(ModelVersion, user=user, action=Action.SHARE)
                            .values("pk"))


def _traces(user) -> QuerySet:
    """Records with `own_message_id`: the chat reply a record wrote, only when it is the
    user's own (another user's message ids are never shown, whoever opens the trace)."""
    return InferenceRecord.objects.defer("prompt_embedding", "personality_scores").annotate(
        own_message_id=Case(When(user=user, then=F("message_id")), default=None))


def trace_list(*, user, model_version_id: int | None = None, message_id: int | None = None) -> QuerySet:
    """Recent records, newest first, that the user may open (`_traceable`): of a version the
    user may read (404 otherwise), of one chat reply, or else the user's own."""
    records = _traces(user)
    if model_version_id is not None:
        version = access_get(ModelVersion, user=user, pk=model_version_id, action=Action.READ)
        records = records.filter(_traceable(user), model_version=version)
    elif message_id is None:
        return records.filter(user=user)
    if message_id is not None:
        records = records.filter(_traceable(user), message_id=message_id)
    return records


def trace_get(*, user, record_id) -> InferenceRecord:
    """One record the user may open (`_traceable`); another user's record of a version the
    user may only read is a 403, anything else they cannot open a NotFound."""
    try:
        pk = int(record_id)
    except (ValueError, TypeError):
        raise NotFound(f"No trace with id {record_id}.") from None
    record = _traces(user).filter(_traceable(user), pk=pk).first()
    if record is not None:
        return record
    if InferenceRecord.objects.filter(
            pk=pk, model_version__in=access_queryset(ModelVersion, user=user).values("pk")).exists():
        raise PermissionDenied("Only the model's owners may open other users' traces of it; "
                               "you may open your own.")
    raise NotFound(f"No trace with id {record_id}.")
