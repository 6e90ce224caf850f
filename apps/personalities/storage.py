"""Where personality artifacts live: MEDIA_ROOT/personalities/<owner id>/<version id>/, built
only from ids we generated and checked to stay under the owner's root (apps.core.storage's
one rule). Built-ins have no
files. What a folder holds depends on the kind: learned `learned.safetensors` (the fitted
arrays) and `train.jsonl` (the texts it was fitted on); neural `space.safetensors` +
`space.json` (ml.personality.neural's format) and `train.jsonl`."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from apps.core.files import remove_tree  # noqa: F401 (the storage layer's, for its callers)
from apps.core.storage import owned_path

KIND = "personalities"

TRAIN_FILE = "train.jsonl"  # {"text": ..., "label": "persona" | "background"} per line
LEARNED_ARRAYS_FILE = "learned.safetensors"
PERSONA_LABEL = "persona"
BACKGROUND_LABEL = "background"


def owner_root(owner_id: int) -> Path:
    return owned_path(KIND, owner_id)


def version_dir(owner_id: int, version_id: int) -> Path:
    return owned_path(KIND, owner_id, int(version_id))


def write_training_texts(directory: Path, examples: Sequence[str], background: Sequence[str]) -> None:
    """The texts a learned or neural version was made from, kept so an edit can refit with
    new examples but the old background (or the reverse)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / TRAIN_FILE).open("w", encoding="utf-8") as sink:
        for label, texts in ((PERSONA_LABEL, examples), (BACKGROUND_LABEL, background)):
            for text in texts:
                sink.write(json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n")


def read_training_texts(directory: Path) -> tuple[list[str], list[str]]:
    """(examples, background) as `write_training_texts` stored them."""
    examples, background = [], []
    with (directory / TRAIN_FILE).open(encoding="utf-8") as source:
        for line in source:
            record = json.loads(line)
            (examples if record["label"] == PERSONA_LABEL else background).append(record["text"])
    return examples, background


def copy_version_files(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)


# Evaluations: MEDIA_ROOT/personalities/<owner id>/evaluations/<evaluation id>/ holds the
# harness's report and chart (ml.personality.evaluate.save_report's names); applications
# work in MEDIA_ROOT/personalities/<owner id>/applications/<application id>/ until the
# result is registered. Neither name can be a version id, so the folders never meet.
REPORT_FILE = "persona_eval.json"
CHART_FILE = "persona_eval.png"


def evaluation_dir(owner_id: int, evaluation_id: int) -> Path:
    return owned_path(KIND, owner_id, "evaluations", int(evaluation_id))


def evaluation_chart(owner_id: int, evaluation_id: int) -> Path:
    return evaluation_dir(owner_id, evaluation_id) / CHART_FILE


def application_dir(owner_id: int, application_id: int) -> Path:
    return owned_path(KIND, owner_id, "applications", int(application_id))
