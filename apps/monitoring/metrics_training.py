"""Training metrics, recorded by the train worker's reporter (apps.training.services): runs
executing now, the mean optimizer step time between metric reports, and tokens per second."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from .metrics import (
    TRAINING_ACTIVE_RUNS,
    TRAINING_STEP_DURATION,
    TRAINING_TOKENS_PER_SECOND,
    recorder,
)


class TrainingMetrics:
    """One execution of a run: `running()` around the training, `on_metrics` at each report."""

    def __init__(self):
        self.last: tuple[int, float] | None = None  # (step, monotonic time) of the last report

    @contextmanager
    def running(self) -> Iterator[None]:
        counted = _run_started()
        try:
            yield
        finally:
            if counted:
                _run_ended()

    @recorder
    def on_metrics(self, step: int, values: dict[str, float]) -> None:
        now = time.monotonic()
        if self.last is not None and step > self.last[0]:
            TRAINING_STEP_DURATION.observe((now - self.last[1]) / (step - self.last[0]))
        self.last = (step, now)
        if "tokens_per_s" in values:
            # A train worker process runs one execution at a time: its value is this run's.
            TRAINING_TOKENS_PER_SECOND.set(float(values["tokens_per_s"]))


@recorder
def _run_started() -> bool:
    TRAINING_ACTIVE_RUNS.inc()
    return True


@recorder
def _run_ended() -> None:
    TRAINING_ACTIVE_RUNS.dec()
    TRAINING_TOKENS_PER_SECOND.set(0)
