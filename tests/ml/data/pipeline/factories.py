"""Tiny datasets for recipe tests: JSON-lines files of records, and distinct English texts
(each built from its own words, so no two are near duplicates by accident)."""

from __future__ import annotations

import json
import random
from pathlib import Path

from ml.data.pipeline import RecipeInput, parse_recipe

_WORDS = (
    "river mountain lantern garden silver quiet morning harbor window meadow candle thunder "
    "forest violet stone ember meadow falcon winter summer orchard castle shadow whisper "
    "journey anchor feather copper marble velvet compass meadow island bridge tower valley"
).split()


def english(i: int, words: int = 40) -> str:
    """A distinct English-looking sentence run, different for every `i`."""
    rng = random.Random(i)
    body = " ".join(
        f"{rng.choice(_WORDS)}{rng.randrange(10**6)}" if k % 5 == 0 else rng.choice(_WORDS)
        for k in range(words)
    )
    return f"The story of the {body} was told in the old house by the river."


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text(
        "".join(json.dumps(r) + "\n" if not isinstance(r, bytes) else r.decode() for r in records)
    )
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def recipe(*steps: dict):
    return parse_recipe({"steps": list(steps)})


def one_input(tmp_path: Path, records: list, name: str = "data.jsonl") -> list[RecipeInput]:
    return [RecipeInput(write_jsonl(tmp_path / name, records), name=name)]
