"""What a recipe run reports: per step the records in and out, why records were dropped (with
a few examples), the step's own numbers; the records no step could process; the outputs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ml.data.pipeline.records import Item, record_text

MAX_EXAMPLES = 5  # dropped-record examples kept per step
MAX_ERRORS = 100  # unprocessable records listed in a report (all are counted)
EXAMPLE_CHARS = 200

# (step index, record, reason) for every dropped record, for callers that audit drops.
DropHook = Callable[[int, dict, str], None]


def _preview(item: Item) -> str:
    try:
        return record_text(item.data, item.columns)[:EXAMPLE_CHARS]
    except (KeyError, ValueError):
        return ""


@dataclass
class ErrorLog:
    errors: list[dict] = field(default_factory=list)
    total: int = 0

    def add(self, step: int | None, file: str, line: int, message: str) -> None:
        self.total += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"step": step, "file": file, "line": line, "message": message})


@dataclass
class StepReport:
    index: int
    type: str
    errors: ErrorLog
    records_in: int = 0
    records_out: int = 0
    dropped: Counter = field(default_factory=Counter)
    examples: list[dict] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    on_drop: DropHook | None = None

    def drop(self, item: Item, reason: str) -> None:
        self.dropped[reason] += 1
        if self.on_drop is not None:
            self.on_drop(self.index, item.data, reason)
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(
                {"file": item.file, "line": item.line, "reason": reason, "text": _preview(item)}
            )

    def fail(self, item: Item, message: str) -> None:
        """A record this step cannot process: counted, listed, and left out of the output."""
        self.drop(item, "error")
        self.errors.add(self.index, item.file, item.line, message)

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "type": self.type,
            "records_in": self.records_in,
            "records_out": self.records_out,
            "dropped": dict(self.dropped),
            "examples": list(self.examples),
            "stats": dict(self.stats),
        }


@dataclass
class RecipeReport:
    steps: list[StepReport]
    errors: ErrorLog
    outputs: dict[str, int] = field(default_factory=dict)
    records_read: int = 0
    bytes_in: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "steps": [s.to_dict() for s in self.steps],
            "errors": list(self.errors.errors),
            "error_count": self.errors.total,
            "outputs": dict(self.outputs),
            "records_read": self.records_read,
            "bytes_in": self.bytes_in,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class ProgressEvent:
    step_index: int  # the last step records have reached so far
    records_in: int  # records read from the inputs
    records_out: int  # records written
    fraction: float  # of the input bytes read, 0..1


@dataclass(frozen=True)
class StepPreview:
    index: int
    type: str
    records_in: int
    records_out: int
    records: list[dict]
    # The preview's time budget ran out before this step saw all the records it would have:
    # its counts and records are what it got through.
    stopped: bool = False

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "type": self.type,
            "records_in": self.records_in,
            "records_out": self.records_out,
            "records": self.records,
            "stopped": self.stopped,
        }
