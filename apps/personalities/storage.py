"""Where personality artifacts live: `personalities/<owner id>/<version id>/` keys of the
storage layer (apps.core.storage), built only from ids we generated and checked to stay under
the owner's prefix. Built-ins have no files. What a folder holds depends on the kind: learned
`learned.safetensors` (the fitted arrays) and `train.jsonl` (the texts it was fitted on);
neural `space.safetensors` + `space.json` (ml.personality.neural's format) and `train.jsonl`.

A folder is written on this machine and stored through `folder_write` (on S3: to the bucket
with its manifest, no copy kept here), and read through `folder_files` (on S3: verified
copies in this worker's bounded cache), so any host reads what another wrote."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from apps.core import file_cache
from apps.core import storage as core_storage
from apps.core.files import remove_tree
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
    """The stored files of the version folder `source` stored under `target` too (a copy on
    this disk, or a server-side copy of each object, manifest included, on S3); nothing for a
    version without files (a config one)."""
    if core_storage.is_local() and not source.is_dir():
        return
    core_storage.copy_tree(source, target)


# -- the folders on the storage layer -----------------------------------------------------------
@contextmanager
def folder_files(directory: Path) -> Iterator[Path]:
    """A folder on this machine holding the stored files of `directory` (a version's or an
    evaluation's) while the block runs, to read: `directory` itself on the local backend; on
    S3 a view of verified copies in this worker's cache, kept from eviction meanwhile
    (apps.core.file_cache.pinned_tree). Empty when nothing is stored."""
    if not core_storage.is_local() and not core_storage.stored_exists(directory / core_storage.MANIFEST):
        with tempfile.TemporaryDirectory(prefix="personality-") as empty:
            yield Path(empty)
        return
    with file_cache.pinned_tree(directory) as files:
        yield files


def folder_write(directory: Path, write: Callable[[Path], object]) -> None:
    """Adds what `write(directory)` writes to the files stored under `directory`: written in
    place on the local backend; on S3 the stored files are fetched here first, the whole folder
    then goes to the bucket with its manifest, and this machine keeps no copy (another host
    reads it from there)."""
    if core_storage.is_local():
        write(directory)
        return
    remove_tree(directory)  # a copy an earlier execution left here may be stale
    try:
        if core_storage.stored_exists(directory / core_storage.MANIFEST):
            file_cache.fetched_tree(directory)
        write(directory)
        if directory.is_dir():
            core_storage.publish_tree(directory)
    finally:
        remove_tree(directory)


def folder_remove(directory: Path) -> None:
    """Removes a folder written for a row that is not kept, wherever it was stored."""
    core_storage.remove_remote(directory)
    remove_tree(directory)


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


def evaluation_chart_key(owner_id: int, evaluation_id: int) -> str:
    return core_storage.owned_key(KIND, owner_id, "evaluations", int(evaluation_id), name=CHART_FILE)


def application_dir(owner_id: int, application_id: int) -> Path:
    return owned_path(KIND, owner_id, "applications", int(application_id))
