"""The `sloughgpt` command line: one dispatcher; each area of `ml/` registers its own
subcommands from `ml/<area>/cli.py` through a `register(subparsers)` function."""

from __future__ import annotations

import argparse
import importlib
import sys

# Areas that contribute subcommands. A module that is missing (an area not built yet)
# is skipped so the rest of the CLI keeps working.
COMMAND_MODULES = (
    "ml.train.cli",
    "ml.sou.cli",
    "ml.hub.cli",
    "ml.infer.cli",
    "ml.personality.cli",
    "ml.data.pipeline.cli",
    "sloughgpt.mlflow_import",
    "sloughgpt.sweep_cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sloughgpt",
        description="Train, quantize, give personality to and chat with small language models.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Each subcommand sets `func` with argparse's set_defaults; it returns an exit code.
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
