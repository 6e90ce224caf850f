"""Usage rollups, kept up to date as things happen: `rollup_add` upserts (INSERT ... ON
CONFLICT DO UPDATE) the hour and day rows of a model version and of the whole site in one
statement, adding counts and histogram arrays element by element, so concurrent writers
never lose an update and nothing re-reads records. Chat feedback and arena votes land in
the rows of the bucket their reply was served in, so changing a thumb moves no count
between buckets."""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, datetime

from django.db import connection

from .models import LATENCY_BUCKETS_MS, InferenceRecord, UsageRollup

COUNTS = ("requests", "errors", "prompt_tokens", "completion_tokens", "feedback_up",
          "feedback_down", "arena_wins", "arena_losses")
HISTOGRAMS = ("latency_buckets", "ttft_buckets")


def bucket_starts(at: datetime) -> dict[str, datetime]:
    """The start of the hour and of the day (UTC) `at` falls in, by granularity."""
    hour = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return {UsageRollup.Granularity.HOUR: hour, UsageRollup.Granularity.DAY: hour.replace(hour=0)}


def histogram(ms: float | None) -> list[int]:
    """One count in the bucket of `ms` (none for None), as a rollup's histogram array."""
    counts = [0] * (len(LATENCY_BUCKETS_MS) + 1)
    if ms is not None:
        counts[bisect_left(LATENCY_BUCKETS_MS, ms)] += 1
    return counts


def _added(column: str) -> str:
    # Element-wise sum of the stored and the new array, in order; a missing element counts 0.
    return (f"{column} = ARRAY(SELECT COALESCE(a, 0) + COALESCE(b, 0) FROM unnest(r.{column}, "
            f"EXCLUDED.{column}) WITH ORDINALITY AS t(a, b, i) ORDER BY i)")


_UPSERT = (
    f"INSERT INTO {UsageRollup._meta.db_table} AS r (model_version_id, granularity, bucket_start, "
    f"{', '.join(COUNTS + HISTOGRAMS)}) VALUES {{rows}} "
    "ON CONFLICT (model_version_id, granularity, bucket_start) DO UPDATE SET "
    + ", ".join([f"{c} = r.{c} + EXCLUDED.{c}" for c in COUNTS] + [_added(h) for h in HISTOGRAMS])
)


def rollup_add(*, model_version_id: int | None, at: datetime, site: bool = True, **amounts) -> None:
    """Add `amounts` (names in COUNTS, which may be negative, and HISTOGRAMS) to the rows of
    the hour and day `at` falls in, of the version (when it still exists) and, unless `site`
    is False, of the site."""
    unknown = set(amounts) - set(COUNTS) - set(HISTOGRAMS)
    if unknown:
        raise ValueError(f"unknown rollup field(s): {sorted(unknown)}")
    values = [amounts.get(c, 0) for c in COUNTS] + [amounts.get(h) or histogram(None) for h in HISTOGRAMS]
    owners = ([] if model_version_id is None else [model_version_id]) + ([None] if site else [])
    rows, params = [], []
    for owner in owners:
        for granularity, start in bucket_starts(at).items():
            rows.append("(" + ", ".join(["%s"] * (3 + len(values))) + ")")
            params += [owner, granularity.value, start, *values]
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(rows=", ".join(rows)), params)


def _served(message_id: int) -> InferenceRecord | None:
    return (InferenceRecord.objects.filter(message_id=message_id).only("model_version_id", "received_at", "created_at")
            .order_by("-id").first())


def feedback_count(*, message_id: int, before: str, after: str) -> None:
    """Count a chat reply's thumb changing from `before` to `after` ("up", "down" or "") in
    the rows of the bucket the reply was served in; replies served before monitoring count
    nothing."""
    if before == after:
        return
    record = _served(message_id)
    if record is None:
        return
    change = {"feedback_up": 0, "feedback_down": 0}
    if before:
        change[f"feedback_{before}"] -= 1
    if after:
        change[f"feedback_{after}"] += 1
    rollup_add(model_version_id=record.model_version_id, at=record.received_at or record.created_at, **change)


def arena_vote_count(*, winner_version_id: int | None, loser_version_id: int | None, at: datetime) -> None:
    """Count a decided arena vote: a win for one version, a loss for the other (not in the
    site's rows, where every vote would be one of each)."""
    if winner_version_id is not None:
        rollup_add(model_version_id=winner_version_id, at=at, site=False, arena_wins=1)
    if loser_version_id is not None:
        rollup_add(model_version_id=loser_version_id, at=at, site=False, arena_losses=1)
