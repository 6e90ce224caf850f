"""Running a recipe: inputs are read as a stream of record batches, each batch goes through
every step in turn, and what comes out is appended to the output files. Memory is one batch
plus what some steps keep: the dedup indexes grow with the records they keep (12 bytes each
for exact, 12 bytes x bands for near: about 0.1 KB at the defaults, up to about 1.5 KB; see
the step's `index_bytes_per_record`), a sample of n holds its n records (at most 100 000),
and a .json input is parsed whole; everything else does not grow with the input.
`preview_recipe` runs the same steps over the first records only."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from pathlib import Path

import numpy as np

from ml.data.errors import DataFormatError
from ml.data.pipeline.errors import DeadlineReached, RecipeCancelled, RecipeError
from ml.data.pipeline.ops_dedup import DedupExactOp, DedupNearOp
from ml.data.pipeline.ops_filter import (
    FeatureFilterOp,
    LanguageFilterOp,
    LengthFilterOp,
    RegexFilterOp,
    SampleOp,
)
from ml.data.pipeline.ops_split import SplitOp, copies, interleave, mix_plan
from ml.data.pipeline.ops_text import NormalizeOp, PiiScrubOp, TemplateOp
from ml.data.pipeline.parallel import parallel_prefix, run_parallel
from ml.data.pipeline.recipe import (
    MAX_MIX_FACTOR,
    TEXT_CHANGING,
    Mix,
    Recipe,
    Split,
    Template,
    format_columns,
)
from ml.data.pipeline.records import InputReader, Item, RecipeInput, input_bytes, record_kind
from ml.data.pipeline.report import (
    DropHook,
    ErrorLog,
    ProgressEvent,
    RecipeReport,
    StepPreview,
    StepReport,
)

BATCH_RECORDS = 1000  # records per batch: big enough for the NumPy steps, small in memory
PROGRESS_SECONDS = 0.25  # at most four progress events a second

_OPS = {
    "normalize": NormalizeOp,
    "length_filter": LengthFilterOp,
    "language_filter": LanguageFilterOp,
    "regex_filter": RegexFilterOp,
    "sample": SampleOp,
    "dedup_exact": DedupExactOp,
    "dedup_near": DedupNearOp,
    "pii_scrub": PiiScrubOp,
    "template": TemplateOp,
    "split": SplitOp,
}


class _Pass:
    """A step that does its work elsewhere (mix shapes the input stream)."""

    def process(self, items: list[Item]) -> list[Item]:
        return items


def build_ops(
    recipe: Recipe,
    inputs: Sequence[RecipeInput],
    errors: ErrorLog,
    on_drop: DropHook | None = None,
    deadline: float | None = None,
) -> tuple[list, list[StepReport]]:
    """One op per step. `deadline` (a `time.monotonic()` instant) bounds the ops that could
    spend long on one batch (a regex search); past it they raise DeadlineReached."""
    ops, reports = [], []
    changed = False
    for index, step in enumerate(recipe.steps):
        report = StepReport(index, step.type, errors, on_drop=on_drop)
        if step.type == "feature_filter":
            op = FeatureFilterOp(step, report, inputs, changed)
        elif step.type == "mix":
            op = _Pass()
        elif step.type == "regex_filter":
            op = RegexFilterOp(step, report, deadline)
        else:
            op = _OPS[step.type](step, report)
        changed = changed or step.type in TEXT_CHANGING
        ops.append(op)
        reports.append(report)
    return ops, reports


def _input_name(spec: RecipeInput, index: int) -> str:
    return spec.name or f"input {index + 1}"


def _file_name(spec: RecipeInput, inputs: Sequence[RecipeInput], file: str) -> str:
    return f"{spec.name}/{file}" if spec.name and len(inputs) > 1 else file


def _read(
    inputs: Sequence[RecipeInput], i: int, errors: ErrorLog, readers: list, limit: int | None = None
) -> Iterator[Item]:
    spec = inputs[i]

    def on_error(error: DataFormatError) -> None:
        errors.add(None, _file_name(spec, inputs, error.file), error.line, error.message)

    reader = InputReader(spec, on_error)
    readers.append(reader)
    records = islice(reader, limit) if limit is not None else reader
    for position, (data, file, line) in enumerate(records):
        yield Item(data, spec.columns, _file_name(spec, inputs, file), line, i, position)


def _count(spec: RecipeInput, limit: int | None, should_stop: Callable[[], bool] | None) -> int:
    n = 0
    for _ in islice(InputReader(spec, lambda e: None), limit):
        n += 1
        if should_stop is not None and n % BATCH_RECORDS == 0 and should_stop():
            raise RecipeCancelled
    return n


def _mixed(
    recipe_mix: Mix,
    inputs,
    errors,
    readers,
    report: StepReport,
    limit: int | None,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[Item]:
    """The mix step's stream: counts each input first (a cheap pass), then reads them again,
    each record emitted as often as its seeded draw says."""
    per_input = None if limit is None else max(1, limit // len(inputs))
    counts = [_count(spec, per_input, should_stop) for spec in inputs]
    if limit is None and recipe_mix.target_size > MAX_MIX_FACTOR * sum(counts):
        raise RecipeError(
            0,
            "target_size",
            f"{recipe_mix.target_size:,} records from {sum(counts):,} input records: at most "
            f"{MAX_MIX_FACTOR} times the inputs",
            "mix",
        )
    target = recipe_mix.target_size if limit is None else min(recipe_mix.target_size, limit)
    plan = mix_plan(Mix(recipe_mix.weights, target, recipe_mix.seed), counts)
    report.records_in = sum(counts)
    report.stats.update(
        planned={_input_name(s, i): p for i, (s, p) in enumerate(zip(inputs, plan))}
    )

    def stream(i: int) -> Iterator[Item]:
        rng = np.random.default_rng([recipe_mix.seed, i])
        draws = copies(rng, plan[i], counts[i])
        for item, n in zip(_read(inputs, i, errors, readers, per_input), draws):
            for _ in range(n):
                yield Item(
                    item.data, item.columns, item.file, item.line, item.source, item.position
                )
            if n == 0:
                report.drop(item, "not drawn")

    return interleave([stream(i) for i in range(len(inputs))], plan)


def _source(
    recipe: Recipe,
    inputs,
    errors,
    readers,
    mix_report: StepReport | None,
    limit: int | None,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[Item]:
    step = recipe.steps[0]
    if isinstance(step, Mix):
        return _mixed(step, inputs, errors, readers, mix_report, limit, should_stop)
    per_input = None if limit is None else max(1, limit // len(inputs))
    return (
        item for i in range(len(inputs)) for item in _read(inputs, i, errors, readers, per_input)
    )


def _batches(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    while batch := list(islice(items, size)):
        yield batch


class _Engine:
    """Pushes batches through the steps; `sink` takes what leaves the last one."""

    def __init__(
        self,
        ops: list,
        reports: list[StepReport],
        sink: Callable[[list[Item]], None],
        capture: Callable[[int, list[Item]], None] | None = None,
        check: Callable[[], None] | None = None,
    ):
        self.ops, self.reports, self.sink, self.capture = ops, reports, sink, capture
        self.check = check  # called before each step; raises to stop (a preview's deadline)

    def push(self, start: int, items: list[Item]) -> None:
        for i in range(start, len(self.ops)):
            if self.check is not None:
                self.check()
            if not isinstance(self.ops[i], _Pass):
                self.reports[i].records_in += len(items)
            items = self.ops[i].process(items)
            self.reports[i].records_out += len(items)
            if self.capture is not None:
                self.capture(i, items)
            if not items:
                return
        self.sink(items)

    def finish(self) -> None:
        for i, op in enumerate(self.ops):
            tail = op.flush() if hasattr(op, "flush") else []
            if tail:
                self.reports[i].records_out += len(tail)
                if self.capture is not None:
                    self.capture(i, tail)
                self.push(i + 1, tail)


class _Writer:
    """Appends records to `<part>.jsonl` files in `out_dir`, opened as parts appear."""

    def __init__(self, out_dir: Path, parts: Sequence[str]):
        self.out_dir = out_dir
        self.files = {
            part: open(out_dir / f"{part}.jsonl", "w", encoding="utf-8") for part in parts
        }
        self.counts = {part: 0 for part in parts}

    def __call__(self, items: list[Item]) -> None:
        lines: dict[str, list[str]] = {}
        for item in items:
            lines.setdefault(item.part, []).append(json.dumps(item.data, ensure_ascii=False))
        for part, chunk in lines.items():
            self.files[part].write("\n".join(chunk) + "\n")
            self.counts[part] += len(chunk)

    def close(self, remove: bool = False) -> None:
        for part, f in self.files.items():
            f.close()
            if remove:
                (self.out_dir / f"{part}.jsonl").unlink(missing_ok=True)


def run_recipe(
    recipe: Recipe,
    inputs: Sequence[RecipeInput],
    out_dir: str | Path,
    *,
    on_progress: Callable[[ProgressEvent], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_drop: DropHook | None = None,
    workers: int = 0,
) -> RecipeReport:
    """Runs `recipe` over `inputs` into `out_dir` (data.jsonl, or train/validation/test.jsonl
    after a split). Raises RecipeError for a recipe the inputs cannot take, RecipeCancelled
    when `should_stop()` says so (the partial files are removed). `on_drop(step index, record,
    reason)` hears of every record a step drops. With `workers` >= 1 the leading
    record-by-record steps run in that many worker processes (see `parallel.py`) while this one
    reads, deduplicates and writes."""
    started = time.monotonic()
    check_recipe(recipe, inputs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    errors = ErrorLog()
    ops, reports = build_ops(recipe, inputs, errors, on_drop)
    split = isinstance(recipe.steps[-1], Split)
    parts = ("train", "validation", "test") if split else ("data",)
    total_bytes = max(sum(input_bytes(spec) for spec in inputs), 1)
    readers: list[InputReader] = []
    writer = _Writer(out, parts)
    engine = _Engine(ops, reports, writer)
    records_read = 0
    last = 0.0
    prefix = parallel_prefix(recipe) if workers >= 1 and not isinstance(recipe.steps[0], Mix) else 0

    def read() -> Iterator[list[Item]]:
        nonlocal records_read
        source = _source(recipe, inputs, errors, readers, reports[0], None, should_stop)
        for batch in _batches(source, BATCH_RECORDS):
            if should_stop is not None and should_stop():
                raise RecipeCancelled
            records_read += len(batch)
            yield batch

    try:
        batches = run_parallel(recipe, prefix, workers, read(), reports) if prefix else read()
        for batch in batches:
            engine.push(prefix, batch)
            now = time.monotonic()
            if on_progress is not None and now - last >= PROGRESS_SECONDS:
                last = now
                done = sum(r.bytes_read for r in readers) / total_bytes
                reached = max((r.index for r in reports if r.records_in), default=0)
                written = sum(writer.counts.values())
                on_progress(ProgressEvent(reached, records_read, written, min(done, 1.0)))
        engine.finish()
    except BaseException:
        writer.close(remove=True)
        raise
    writer.close()
    if on_progress is not None:
        on_progress(ProgressEvent(len(reports) - 1, records_read, sum(writer.counts.values()), 1.0))
    return RecipeReport(
        steps=reports,
        errors=errors,
        outputs=dict(writer.counts),
        records_read=records_read,
        bytes_in=sum(input_bytes(spec) for spec in inputs),
        seconds=time.monotonic() - started,
    )


def preview_recipe(
    recipe: Recipe,
    inputs: Sequence[RecipeInput],
    *,
    limit: int = 5,
    scan: int = 2000,
    deadline_s: float | None = None,
) -> list[StepPreview]:
    """The first `limit` records after each step, from at most `scan` input records. With
    `deadline_s`, the budget is checked between batches and between steps (and bounds a regex
    search): once spent, what the steps got through is returned with every preview marked
    `stopped`."""
    deadline = None if deadline_s is None else time.monotonic() + deadline_s

    def check() -> None:
        if deadline is not None and time.monotonic() >= deadline:
            raise DeadlineReached

    check_recipe(recipe, inputs)
    errors = ErrorLog()
    ops, reports = build_ops(recipe, inputs, errors, deadline=deadline)
    shown: list[list[dict]] = [[] for _ in ops]

    def capture(index: int, items: list[Item]) -> None:
        room = limit - len(shown[index])
        for item in items[: max(room, 0)]:
            record = dict(item.data)
            if isinstance(recipe.steps[index], Split):
                record["_split"] = item.part
            shown[index].append(record)

    engine = _Engine(ops, reports, lambda items: None, capture, check)
    stopped = False
    try:
        for batch in _batches(_source(recipe, inputs, errors, [], reports[0], scan), BATCH_RECORDS):
            engine.push(0, batch)
        engine.finish()
    except DeadlineReached:
        stopped = True
    return [
        StepPreview(r.index, r.type, r.records_in, r.records_out, shown[r.index], stopped)
        for r in reports
    ]


def _first_record(spec: RecipeInput, index: int) -> dict:
    try:
        for data, _, _ in InputReader(spec, lambda e: None):
            return data
    except DataFormatError as exc:
        raise RecipeError(None, "inputs", f"{_input_name(spec, index)}: {exc.message}") from exc
    raise RecipeError(None, "inputs", f"{_input_name(spec, index)} has no readable records")


def _step_columns(step) -> list[tuple[str, str]]:
    """(option, column) pairs a step names."""
    if isinstance(step, Template):
        return [
            (name, col)
            for name in ("prompt", "response", "text", "system")
            if getattr(step, name)
            for col in format_columns(getattr(step, name))
        ]
    if isinstance(step, Split):
        return [("group_by", step.group_by)] if step.group_by else []
    field = getattr(step, "field", None)
    return [("field", field)] if field else []


def check_recipe(recipe: Recipe, inputs: Sequence[RecipeInput]) -> None:
    """What the recipe needs of its inputs: a weight per input for mix, one record kind when
    several inputs come together, and every column a step names present in each input's
    first record (a later record without it is counted as an error when the step meets it)."""
    if not inputs:
        raise RecipeError(None, "inputs", "a recipe runs over at least one input")
    first = recipe.steps[0]
    if isinstance(first, Mix) and len(first.weights) != len(inputs):
        raise RecipeError(
            0,
            "weights",
            f"{len(first.weights)} weights for {len(inputs)} inputs; give one per input",
            "mix",
        )
    records = [_first_record(spec, i) for i, spec in enumerate(inputs)]
    kinds = {record_kind(data, spec.columns) for data, spec in zip(records, inputs)}
    if len(kinds) > 1:
        where = (0, "mix") if isinstance(first, Mix) else (None, None)
        raise RecipeError(
            where[0],
            "inputs",
            f"inputs hold different kinds of records ({', '.join(sorted(kinds))}); they cannot be combined",
            where[1],
        )
    for i, (data, spec) in enumerate(zip(records, inputs)):
        columns = set(data)
        for index, step in enumerate(recipe.steps):
            for option, column in _step_columns(step):
                if column not in columns:
                    shown = ", ".join(sorted(columns)) or "none"
                    raise RecipeError(
                        index,
                        option,
                        f"no column {column!r} in {_input_name(spec, i)} (columns: {shown})",
                        step.type,
                    )
            if isinstance(step, Template):
                columns = (
                    {"text"}
                    if step.mode == "text"
                    else {"prompt", "response"}
                    if step.mode == "pair"
                    else {"messages"}
                )
