"""The SQL behind metrics: per batch, one upsert of the per-key summaries, one COPY of the
points and one upsert of the rollups; downsampling computed in the database, from the points
for short spans and from the rollups for long ones. Table names come from the models; every
value is a query parameter."""

from __future__ import annotations

from django.db import connection

from .models import MetricPoint, MetricRollup, MetricSeries
from .validation import MetricRow

SERIES = MetricSeries._meta.db_table
POINTS = MetricPoint._meta.db_table
ROLLUPS = MetricRollup._meta.db_table
# Block sizes in steps, a factor 8 apart: a request for N buckets reads at most ~8N rollup
# rows (or, below the smallest size, at most 64N points).
ROLLUP_SIZES = (64, 512, 4096, 32768, 262144)

# Keys are upserted in sorted order, so two batches for one run lock rows in the same order.
_UPSERT = f"""
INSERT INTO {SERIES} AS s (run_id, key, count, min_step, max_step, last_step, last_value,
                           last_timestamp, min_value, max_value)
SELECT %s::bigint, * FROM unnest(%s::text[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[],
                         %s::float8[], %s::float8[], %s::float8[], %s::float8[])
ON CONFLICT (run_id, key) DO UPDATE SET
    count = s.count + EXCLUDED.count,
    min_step = LEAST(s.min_step, EXCLUDED.min_step),
    max_step = GREATEST(s.max_step, EXCLUDED.max_step),
    last_step = GREATEST(s.last_step, EXCLUDED.last_step),
    last_value = CASE WHEN EXCLUDED.last_step >= s.last_step
                      THEN EXCLUDED.last_value ELSE s.last_value END,
    last_timestamp = CASE WHEN EXCLUDED.last_step >= s.last_step
                          THEN EXCLUDED.last_timestamp ELSE s.last_timestamp END,
    min_value = LEAST(s.min_value, EXCLUDED.min_value),
    max_value = GREATEST(s.max_value, EXCLUDED.max_value)
RETURNING id, key
"""

_COPY = f"COPY {POINTS} (series_id, step, value, timestamp) FROM STDIN (FORMAT BINARY)"

# Block = floor(step / size): SQL's `/` truncates towards zero, which would put steps -63..63
# (MLflow's API takes negative steps) in one block twice a bucket wide.
_ROLLUP_UPSERT = f"""
INSERT INTO {ROLLUPS} AS r (series_id, size, block, count, sum_value, min_value, max_value, last_step)
SELECT t.series_id, l.size, (t.step - mod(mod(t.step, l.size) + l.size, l.size)) / l.size,
       count(*), sum(t.value), min(t.value), max(t.value), max(t.step)
FROM unnest(%s::bigint[], %s::bigint[], %s::float8[]) AS t(series_id, step, value)
CROSS JOIN unnest(%s::int[]) AS l(size)
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
ON CONFLICT (series_id, size, block) DO UPDATE SET
    count = r.count + EXCLUDED.count,
    sum_value = r.sum_value + EXCLUDED.sum_value,
    min_value = LEAST(r.min_value, EXCLUDED.min_value),
    max_value = GREATEST(r.max_value, EXCLUDED.max_value),
    last_step = GREATEST(r.last_step, EXCLUDED.last_step)
"""

# Equal-width step buckets: bucket = (step - first) * N / span. min and max keep every spike.
_POINT_BUCKETS = f"""
SELECT (step - %(first)s) * %(n)s / %(span)s AS bucket,
       max(step), avg(value), min(value), max(value)
FROM {POINTS} WHERE series_id = %(series)s
GROUP BY 1 ORDER BY 1
"""

# A rollup block goes wholly into the bucket of its first step; a block is at most as wide
# as a bucket, so the shape moves by under one bucket and the extremes stay exact.
_ROLLUP_BUCKETS = f"""
SELECT GREATEST(0, block * %(size)s - %(first)s) * %(n)s / %(span)s AS bucket,
       max(last_step), sum(sum_value) / sum(count), min(min_value), max(max_value)
FROM {ROLLUPS} WHERE series_id = %(series)s AND size = %(size)s
GROUP BY 1 ORDER BY 1
"""

_RAW = f"""
SELECT series_id, step, value FROM {POINTS}
WHERE series_id = ANY(%s)
ORDER BY series_id, step, id
"""


def _summaries(rows: list[MetricRow]) -> dict[str, list]:
    """key -> [count, min_step, max_step, last_step, last_value, last_ts, min_value, max_value]"""
    summary: dict[str, list] = {}
    for key, step, value, timestamp in rows:
        entry = summary.get(key)
        if entry is None:
            summary[key] = [1, step, step, step, value, timestamp, value, value]
            continue
        entry[0] += 1
        if step < entry[1]:
            entry[1] = step
        if step > entry[2]:
            entry[2] = step
        if step >= entry[3]:
            entry[3], entry[4], entry[5] = step, value, timestamp
        if value < entry[6]:
            entry[6] = value
        if value > entry[7]:
            entry[7] = value
    return summary


def points_insert(*, run_id: int, rows: list[MetricRow]) -> None:
    """Appends `rows` to the run's series and updates their summaries; call inside a
    transaction so the summary and the points commit together."""
    summary = _summaries(rows)
    keys = sorted(summary)
    columns = list(zip(*(summary[key] for key in keys)))
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [run_id, keys, *map(list, columns)])
        series_ids = {key: series_id for series_id, key in cursor.fetchall()}
        ids = [series_ids[key] for key, _, _, _ in rows]
        with cursor.cursor.copy(_COPY) as copy:
            copy.set_types(["int8", "int8", "float8", "float8"])
            for series_id, (_, step, value, timestamp) in zip(ids, rows):
                copy.write_row((series_id, step, value, timestamp))
        steps = [row[1] for row in rows]
        values = [row[2] for row in rows]
        cursor.execute(_ROLLUP_UPSERT, [ids, steps, values, list(ROLLUP_SIZES)])


def _bucket_query(series: MetricSeries, points: int) -> tuple[str, dict]:
    span = series.max_step - series.min_step + 1
    params = {"series": series.pk, "first": series.min_step, "n": points, "span": span}
    fitting = [size for size in ROLLUP_SIZES if size * points <= span]
    if not fitting:
        return _POINT_BUCKETS, params
    return _ROLLUP_BUCKETS, {**params, "size": fitting[-1]}


def series_downsample(*, series: list[MetricSeries], points: int) -> dict[int, dict]:
    """series id -> {"steps", "values", "min", "max", "total_points"}. A series with at
    most `points` points comes back whole (min = max = value); a longer one as at most
    `points` equal-width step buckets: the last step, mean, minimum and maximum of each."""
    result = {
        item.id: {"steps": [], "values": [], "min": [], "max": [], "total_points": item.count}
        for item in series
    }
    short = [item.id for item in series if item.count <= points]
    with connection.cursor() as cursor:
        if short:
            cursor.execute(_RAW, [short])
            for series_id, step, value in cursor.fetchall():
                out = result[series_id]
                out["steps"].append(step)
                out["values"].append(value)
                out["min"].append(value)
                out["max"].append(value)
        for item in series:
            if item.count <= points:
                continue
            sql, params = _bucket_query(item, points)
            cursor.execute(sql, params)
            out = result[item.id]
            for _bucket, step, mean, low, high in cursor.fetchall():
                out["steps"].append(step)
                out["values"].append(mean)
                out["min"].append(low)
                out["max"].append(high)
    return result
