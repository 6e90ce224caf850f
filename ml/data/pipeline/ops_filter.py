"""Steps that keep or drop records: length, language, regex, feature threshold and sample."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import regex

from ml.data.pipeline.errors import DeadlineReached
from ml.data.pipeline.langid import classify_batch
from ml.data.pipeline.recipe import FeatureFilter, LanguageFilter, LengthFilter, RegexFilter, Sample
from ml.data.pipeline.records import Item, RecipeInput, record_text
from ml.data.pipeline.report import StepReport


def texts_of(
    items: list[Item], field: str | None, report: StepReport
) -> tuple[list[Item], list[str]]:
    """The items whose text (or `field`) can be read, and those texts; the rest are failed."""
    kept, texts = [], []
    for item in items:
        try:
            texts.append(record_text(item.data, item.columns, field))
        except KeyError:
            report.fail(item, f"no column {field!r}")
            continue
        except ValueError:
            report.fail(item, f"column {field!r} is not text")
            continue
        kept.append(item)
    return kept, texts


class _RangeFilter:
    """Keeps items whose value lies in [min, max]; subclasses say what the value is."""

    field: str | None = None

    def __init__(self, step, report: StepReport):
        self.step = step
        self.report = report
        self.low = -float("inf") if step.min is None else step.min
        self.high = float("inf") if step.max is None else step.max

    def values(self, items: list[Item], texts: list[str]) -> Sequence:
        raise NotImplementedError

    def process(self, items: list[Item]) -> list[Item]:
        items, texts = texts_of(items, self.field, self.report)
        out = []
        for item, value in zip(items, self.values(items, texts)):
            if value is None:
                self.report.drop(item, "no value")
            elif value < self.low:
                self.report.drop(item, "below min")
            elif value > self.high:
                self.report.drop(item, "above max")
            else:
                out.append(item)
        return out


class LengthFilterOp(_RangeFilter):
    def __init__(self, step: LengthFilter, report: StepReport):
        super().__init__(step, report)
        self.field = step.field
        self.measure: Callable[[str], int] = len if step.unit == "chars" else _count_tokens()

    def values(self, items, texts):
        return [self.measure(t) for t in texts]


def _count_tokens() -> Callable[[str], int]:
    # The feature registry is imported only when needed: it loads the personality metrics.
    from ml.data.features.registry import count_tokens

    return count_tokens


class _Column:
    """One feature's materialized values, read forward row group by row group."""

    def __init__(self, path, name: str):
        import pyarrow.parquet as pq

        self._batches = pq.ParquetFile(path).iter_batches(columns=[name], batch_size=8192)
        self._values: list = []
        self._offset = 0

    def at(self, position: int):
        while position >= self._offset + len(self._values):
            self._offset += len(self._values)
            batch = next(self._batches, None)
            if batch is None:
                return None
            self._values = batch.column(0).to_pylist()
        return self._values[position - self._offset]


class FeatureFilterOp(_RangeFilter):
    """Reads materialized values where the input has them (and no earlier step changed the
    text), else computes the feature over the batch with its registered function."""

    def __init__(
        self,
        step: FeatureFilter,
        report: StepReport,
        inputs: Sequence[RecipeInput],
        text_changed: bool,
    ):
        from ml.data.features.registry import FEATURES

        super().__init__(step, report)
        self.compute = FEATURES[step.feature].computer()
        self.columns: dict[int, _Column] = {}
        if not text_changed:
            for i, spec in enumerate(inputs):
                if spec.features_path is not None and _has_column(spec.features_path, step.feature):
                    self.columns[i] = _Column(spec.features_path, step.feature)

    def values(self, items, texts):
        out: list = [None] * len(items)
        todo = []
        for j, item in enumerate(items):
            column = self.columns.get(item.source)
            if column is None:
                todo.append(j)
            else:
                out[j] = column.at(item.position)
        if todo:
            for j, value in zip(todo, self.compute([texts[j] for j in todo])):
                out[j] = value
        return out


def _has_column(path, name: str) -> bool:
    import pyarrow.parquet as pq

    try:
        return name in pq.read_schema(path).names
    except OSError:
        return False


class LanguageFilterOp:
    def __init__(self, step: LanguageFilter, report: StepReport):
        self.step = step
        self.report = report
        self.languages = set(step.languages)

    def process(self, items: list[Item]) -> list[Item]:
        items, texts = texts_of(items, self.step.field, self.report)
        out = []
        for item, (language, confidence) in zip(items, classify_batch(texts)):
            if language not in self.languages:
                self.report.drop(item, f"language {language}")
            elif confidence < self.step.min_confidence:
                self.report.drop(item, "low confidence")
            else:
                out.append(item)
        return out


# A user's pattern may backtrack exponentially (ReDoS): each record's search gets this long, and
# a record that takes longer is counted as an error instead of holding up the run.
REGEX_TIMEOUT_S = 0.25


class RegexFilterOp:
    """Searches with the `regex` package, which can stop a search after a timeout (`re` cannot).
    `deadline` (a `time.monotonic()` instant, the preview's budget) also bounds each search;
    past it DeadlineReached is raised."""

    def __init__(self, step: RegexFilter, report: StepReport, deadline: float | None = None):
        self.pattern = regex.compile(step.pattern)
        self.keep_match = step.keep == "match"
        self.step = step
        self.report = report
        self.deadline = deadline

    def _timeout(self) -> float:
        if self.deadline is None:
            return REGEX_TIMEOUT_S
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise DeadlineReached
        return min(REGEX_TIMEOUT_S, left)

    def process(self, items: list[Item]) -> list[Item]:
        items, texts = texts_of(items, self.step.field, self.report)
        out = []
        search = self.pattern.search
        for item, text in zip(items, texts):
            timeout = self._timeout()
            try:
                found = search(text, timeout=timeout) is not None
            except TimeoutError:
                if timeout < REGEX_TIMEOUT_S:
                    raise DeadlineReached from None
                self.report.fail(item, f"regex search took over {REGEX_TIMEOUT_S} s")
                continue
            if found == self.keep_match:
                out.append(item)
            else:
                self.report.drop(
                    item, "regex match" if self.keep_match is False else "no regex match"
                )
        return out


class SampleOp:
    """A fraction: each record kept with that probability. n: a uniform choice of n records
    (reservoir sampling, so it holds n records until the input ends), emitted in input order."""

    def __init__(self, step: Sample, report: StepReport):
        self.step = step
        self.report = report
        self.rng = np.random.default_rng(step.seed)
        self.reservoir: list[tuple[int, Item]] = []
        self.seen = 0

    def process(self, items: list[Item]) -> list[Item]:
        if self.step.fraction is not None:
            keep = self.rng.random(len(items)) < self.step.fraction
            for item, k in zip(items, keep.tolist()):
                if not k:
                    self.report.drop(item, "not sampled")
            return [item for item, k in zip(items, keep.tolist()) if k]
        n = self.step.n
        for item in items:
            if len(self.reservoir) < n:
                self.reservoir.append((self.seen, item))
            else:
                slot = int(self.rng.integers(0, self.seen + 1))
                if slot < n:
                    self.report.drop(self.reservoir[slot][1], "not sampled")
                    self.reservoir[slot] = (self.seen, item)
                else:
                    self.report.drop(item, "not sampled")
            self.seen += 1
        return []

    def flush(self) -> list[Item]:
        kept = [item for _, item in sorted(self.reservoir, key=lambda pair: pair[0])]
        self.reservoir = []
        return kept
