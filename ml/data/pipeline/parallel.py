"""Running a recipe's leading record-by-record steps in worker processes.

Steps that look at one record at a time (normalize, the length, language and regex filters,
PII scrubbing, templating) give the same result whichever process runs them, so batches can
go through them in parallel; the steps that need the whole stream in order (dedup, sample,
split, mix, feature filters) stay in the calling process. Batches come back in input order,
and at most two per worker are in flight, so memory stays bounded. Each worker keeps its own
step reports; what a batch added to them is sent back with the batch and summed here."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from ml.data.pipeline.recipe import Recipe, parse_recipe, recipe_to_dict
from ml.data.pipeline.records import Item
from ml.data.pipeline.report import MAX_EXAMPLES, ErrorLog, StepReport

PARALLEL_STEPS = frozenset(
    ("normalize", "length_filter", "language_filter", "regex_filter", "pii_scrub", "template")
)


def parallel_prefix(recipe: Recipe) -> int:
    """How many leading steps can run in workers."""
    count = 0
    for step in recipe.steps:
        if step.type not in PARALLEL_STEPS:
            break
        count += 1
    return count


@dataclass
class _Delta:
    """What one batch added to one step's report."""

    records_in: int
    records_out: int
    dropped: dict
    examples: list
    stats: dict
    errors: list
    drops: list  # (record, reason) when the caller listens for drops


_worker: dict = {}


def _init(recipe_data: dict, prefix: int, keep_drops: bool) -> None:
    from ml.data.pipeline.runner import build_ops

    recipe = parse_recipe(recipe_data)
    _worker["recipe"] = Recipe(recipe.steps[:prefix])
    _worker["keep_drops"] = keep_drops
    _worker["build"] = build_ops


def _run_batch(items: list[Item]) -> tuple[list[Item], list[_Delta]]:
    errors = ErrorLog()
    drops: list[list] = [[] for _ in _worker["recipe"].steps]
    hook = (
        (lambda index, data, reason: drops[index].append((data, reason)))
        if _worker["keep_drops"]
        else None
    )
    ops, reports = _worker["build"](_worker["recipe"], [], errors, hook)
    for op, report in zip(ops, reports):
        report.records_in += len(items)
        items = op.process(items)
        report.records_out += len(items)
    deltas = [
        _Delta(
            r.records_in,
            r.records_out,
            dict(r.dropped),
            r.examples,
            dict(r.stats),
            [e for e in errors.errors if e["step"] == r.index],
            drops[r.index],
        )
        for r in reports
    ]
    return items, deltas


def _merge(report: StepReport, delta: _Delta) -> None:
    report.records_in += delta.records_in
    report.records_out += delta.records_out
    report.dropped.update(delta.dropped)
    report.examples.extend(delta.examples[: MAX_EXAMPLES - len(report.examples)])
    for key, value in delta.stats.items():
        report.stats[key] = report.stats.get(key, 0) + value  # counts, e.g. PII per kind
    for error in delta.errors:
        report.errors.add(error["step"], error["file"], error["line"], error["message"])
    if report.on_drop is not None:
        for data, reason in delta.drops:
            report.on_drop(report.index, data, reason)


def run_parallel(
    recipe: Recipe,
    prefix: int,
    workers: int,
    batches: Iterator[list[Item]],
    reports: list[StepReport],
) -> Iterator[list[Item]]:
    """`batches` after the first `prefix` steps, run by `workers` processes, in order."""
    keep_drops = any(r.on_drop is not None for r in reports[:prefix])
    # A fresh interpreter per worker: safe under any parent (threads, a web or task server).
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, _init, (recipe_to_dict(recipe), prefix, keep_drops)) as pool:
        pending: deque = deque()
        for batch in batches:
            pending.append(pool.apply_async(_run_batch, (batch,)))
            if len(pending) >= 2 * workers:
                yield _collect(pending.popleft().get(), reports)
        while pending:
            yield _collect(pending.popleft().get(), reports)


def _collect(result: tuple[list[Item], list[_Delta]], reports: list[StepReport]) -> list[Item]:
    items, deltas = result
    for report, delta in zip(reports, deltas):
        _merge(report, delta)
    return items
