"""The `sloughgpt data` command group: `run` applies a recipe (TOML) to input files or
folders and writes the result to a folder, with a progress line on stderr and the report
(JSON) on stdout. A bad recipe prints one `error:` line naming the step and field, status 2;
so does an output folder that is, or is inside, an input folder, or that would overwrite an
input file. `features` computes feature groups of one input into a Parquet file (a row per
record, in the order a recipe reads them) and prints each feature's statistics, or, with
`--compare`, which features shifted against another such file."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def register(subparsers) -> None:
    data = subparsers.add_parser("data", help="clean, filter, deduplicate, split and mix datasets")
    actions = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    run = actions.add_parser("run", help="apply a recipe to inputs, writing JSON-lines files")
    run.add_argument("recipe", metavar="RECIPE.toml", help="[[steps]] tables, each with a type")
    run.add_argument(
        "inputs", metavar="INPUT", nargs="+", help=".jsonl/.json/.csv/.txt file or folder"
    )
    run.add_argument(
        "--out", required=True, metavar="DIR", help="where data.jsonl (or the split parts) go"
    )
    run.add_argument("--quiet", action="store_true", help="no progress line")
    run.add_argument(
        "--workers",
        type=int,
        default=min((os.cpu_count() or 1) - 1, 3),
        help="worker processes for the record-by-record steps at the start of the recipe "
        "(0: everything in one process; default: one fewer than the CPUs, at most 3)",
    )
    run.set_defaults(func=_run)
    features = actions.add_parser(
        "features", help="compute feature groups of an input into Parquet, print their statistics"
    )
    features.add_argument("input", metavar="INPUT", help=".jsonl/.json/.csv/.txt file or folder")
    features.add_argument(
        "--groups", default="basic", help="comma-separated: basic, dedup, personality, embedding"
    )
    features.add_argument("--out", required=True, metavar="FILE.parquet", help="the feature rows")
    features.add_argument(
        "--compare", metavar="OTHER.parquet", help="also test which features shifted against it"
    )
    features.set_defaults(func=_features)


def _progress(event) -> None:
    print(
        f"\r{event.fraction:6.1%}  read {event.records_in:,}  written {event.records_out:,}",
        end="",
        file=sys.stderr,
        flush=True,
    )


OUTPUT_FILES = ("data.jsonl", "train.jsonl", "validation.jsonl", "test.jsonl")


def _out_clash(out: Path, inputs: list[str]) -> str | None:
    """Why `out` cannot take the outputs of `inputs`: an output file would be opened for
    writing (emptied) before the inputs are read, and one inside an input folder would be read
    as input while it is written."""
    out = out.resolve()
    for given in inputs:
        path = Path(given).resolve()
        if path.is_dir() and (out == path or path in out.parents):
            return f"--out {out} is in the input folder {given}; write the outputs elsewhere"
        if path.parent == out and path.name in OUTPUT_FILES:
            return f"--out {out} would overwrite the input {given}; write the outputs elsewhere"
    return None


def _run(args: argparse.Namespace) -> int:
    from ml.data.errors import DataFormatError
    from ml.data.pipeline import RecipeError, RecipeInput, load_recipe_toml, run_recipe

    clash = _out_clash(Path(args.out), args.inputs)
    if clash is not None:
        print(f"error: {clash}", file=sys.stderr)
        return 2
    try:
        recipe = load_recipe_toml(args.recipe)
        inputs = [RecipeInput(Path(p), name=Path(p).name) for p in args.inputs]
        report = run_recipe(
            recipe,
            inputs,
            args.out,
            on_progress=None if args.quiet else _progress,
            workers=max(args.workers, 0),
        )
    except (RecipeError, DataFormatError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(file=sys.stderr)
    print(json.dumps(report.to_dict(), indent=2))
    return 0


def _features(args: argparse.Namespace) -> int:
    from ml.data.errors import DataFormatError
    from ml.data.features.materialize import compare, materialize, statistics
    from ml.data.features.registry import GROUPS
    from ml.data.pipeline import RecipeInput
    from ml.data.pipeline.records import iter_texts

    groups = [g.strip() for g in args.groups.split(",") if g.strip()]
    unknown = [g for g in groups if g not in GROUPS]
    if unknown or not groups:
        print(f"error: --groups: unknown {', '.join(unknown) or '(none given)'}; "
              f"choose from {', '.join(GROUPS)}", file=sys.stderr)
        return 2
    out = Path(args.out)
    if out.suffix != ".parquet":
        print("error: --out must name a .parquet file", file=sys.stderr)
        return 2
    names = [name for group in groups for name in GROUPS[group]]
    source = Path(args.input)
    try:
        rows = materialize(iter_texts(RecipeInput(source, name=source.name)), names, out,
                           on_progress=lambda n: print(f"\r{n:,} records", end="", file=sys.stderr))
        print(file=sys.stderr)
        result = {"records": rows, "statistics": statistics(out)}
        if args.compare:
            result["compare"] = compare(out, Path(args.compare))
    except (DataFormatError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2, default=float))
    return 0
