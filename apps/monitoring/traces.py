"""A generation's trace: the hops between its record's timestamps, in order, each with its
duration, so "why was this reply slow" reads off one timeline. The web and worker clocks may
be different machines' clocks; a hop the clocks make negative shows as 0 ms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .models import InferenceRecord

# (hop, from field, to field, what happened in it)
HOPS = (
    ("web", "received_at", "queued_at", "the web process stored the request and sent the task"),
    ("queue", "queued_at", "worker_started_at", "the task waited for a free worker"),
    ("worker", "worker_started_at", "submitted_at", "the worker built the prompt and loaded the model"),
    ("prefill", "submitted_at", "prefill_done_at", "waiting for a batch slot and reading the prompt, to the first token"),
    ("decode", "prefill_done_at", "finished_at", "generating the rest of the tokens"),
    ("relay", "finished_at", "relayed_at", "handing the end of the reply to the client's connection"),
)


@dataclass(frozen=True)
class Hop:
    name: str
    description: str
    start: datetime | None
    end: datetime | None
    duration_ms: float | None  # None when either end was not recorded


def trace_hops(record: InferenceRecord) -> list[Hop]:
    hops = []
    for name, start_field, end_field, description in HOPS:
        start, end = getattr(record, start_field), getattr(record, end_field)
        duration = None if start is None or end is None else max(0.0, (end - start).total_seconds() * 1000)
        hops.append(Hop(name, description, start, end, duration))
    return hops


def trace_total_ms(record: InferenceRecord) -> float | None:
    """From the request to the end relayed (or the last time recorded)."""
    times = [getattr(record, field) for _, field, _, _ in HOPS] + [record.relayed_at]
    times = [t for t in times if t is not None]
    return (max(times) - min(times)).total_seconds() * 1000 if len(times) > 1 else None
