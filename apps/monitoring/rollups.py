"""Usage rollups, kept up to date as things happen: `rollup_add` upserts (INSERT ... ON
CONFLICT DO UPDATE) the hour and day rows of a model version and of the whole site in one
statement, adding counts and histogram arrays element by element, so concurrent writers
never lose an update and nothing re-reads records. Chat feedback lands in the rows of the
bucket its reply was served in, so changing a thumb moves no count between buckets; an arena
vote, which never changes, in the bucket it was cast in.

One statement writes every row a change touches, in one order (by version, the site's last):
two writers locking the same rows in opposite orders would deadlock."""

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


def _values(amounts: dict) -> list:
    unknown = set(amounts) - set(COUNTS) - set(HISTOGRAMS)
    if unknown:
        raise ValueError(f"unknown rollup field(s): {sorted(unknown)}")
    return [amounts.get(c, 0) for c in COUNTS] + [amounts.get(h) or histogram(None) for h in HISTOGRAMS]


def _upsert(changes: list[tuple[int | None, datetime, dict]]) -> None:
    """Add each (version or None for the site, when, amounts) to its hour and day rows, in
    one statement whose rows are sorted (see the module's note on deadlocks). The versions
    differ: one statement may not update a row twice."""
    rows = sorted(
        ((owner is None, owner or 0, granularity.value, start), [owner, granularity.value, start, *_values(amounts)])
        for owner, at, amounts in changes for granularity, start in bucket_starts(at).items())
    if not rows:
        return
    placeholders = "(" + ", ".join(["%s"] * len(rows[0][1])) + ")"
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(rows=", ".join([placeholders] * len(rows))),
                       [param for _, row in rows for param in row])


def rollup_add(*, model_version_id: int | None, at: datetime, site: bool = True, **amounts) -> None:
    """Add `amounts` (names in COUNTS, which may be negative, and HISTOGRAMS) to the rows of
    the hour and day `at` falls in, of the version (which must exist) and, unless `site` is
    False, of the site."""
    owners = ([] if model_version_id is None else [model_version_id]) + ([None] if site else [])
    _upsert([(owner, at, amounts) for owner in owners])


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
    site's rows, where every vote would be one of each), in the hour and day it was cast."""
    _upsert([(version_id, at, amounts) for version_id, amounts in (
        (winner_version_id, {"arena_wins": 1}), (loser_version_id, {"arena_losses": 1})) if version_id is not None])
