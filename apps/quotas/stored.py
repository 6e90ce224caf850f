"""Everything an account stores on disk, kind by kind: which rows own files and where those
files lie. Recomputing usage and moving an object into a team measure these folders, so
what is charged and what is on disk are counted the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps as global_apps
from django.db import models

from apps.core.access import ROOTS, root_model


def _dataset_version(v) -> Path:
    from apps.datasets.storage import version_dir

    return version_dir(v.owner_id, v.pk)


def _model_version(v) -> Path:
    from apps.registry.storage import version_dir  # its canonical file, exports and sources

    return version_dir(v.owner_id, v.pk)


def _model_version_charged(v) -> int | None:
    from apps.registry.models import HubPull, ModelVersion

    # A hub pull in progress was charged its reservation, whatever has arrived so far.
    return (HubPull.objects.filter(model_version_id=v.pk, model_version__status=ModelVersion.Status.IMPORTING)
            .values_list("bytes_charged", flat=True).first())


def _run_artifacts(r) -> Path:
    from apps.experiments.storage import run_dir

    return run_dir(r.owner_id, r.pk)


def _training_run(t) -> Path:
    from apps.training.storage import training_run_dir  # checkpoints and logs the worker writes

    return training_run_dir(t)


def _document(d) -> Path:
    from apps.rag.storage import document_path

    return document_path(owner_id=d.owner_id, document_id=d.pk, fmt=d.format)


def _personality_version(v) -> Path | None:
    from apps.personalities.storage import version_dir

    if v.personality.owner_id is None:
        return None  # a built-in: no files, no account
    return version_dir(v.personality.owner_id, v.pk)


def _personality_evaluation(e) -> Path:
    from apps.personalities.storage import evaluation_dir

    return evaluation_dir(e.owner_id, e.pk)


@dataclass(frozen=True)
class StoredKind:
    label: str  # "app_label.Model"
    path: Callable[[models.Model], Path | None]  # the row's file or folder (None: it has none)
    related: tuple[str, ...] = ()  # select_related for `path` and the account
    # What the row was charged while its files are still being written, read under the row's
    # lock (None: its files are measured): a delete gives back exactly that.
    charged: Callable[[models.Model], int | None] | None = None


# Chat and arena preference exports are dataset versions; exports of a model version live in
# its folder; a personality application's work folder becomes a model version.
STORED_KINDS = (
    StoredKind("datasets.DatasetVersion", _dataset_version, ("dataset",)),
    StoredKind("registry.ModelVersion", _model_version, ("registered_model",), _model_version_charged),
    StoredKind("experiments.Run", _run_artifacts, ("experiment",)),
    StoredKind("training.TrainingRun", _training_run, ("run__experiment",)),
    StoredKind("rag.Document", _document, ("collection",)),
    StoredKind("personalities.PersonalityVersion", _personality_version, ("personality",)),
    StoredKind("personalities.PersonalityEvaluation", _personality_evaluation),
)


def disk_bytes(path: Path) -> int:
    """Bytes of a file, or of every file under a folder; 0 for what is not there. A file with
    several hard links (a fine-tune's base model, linked into its run) counts whole in each
    place: each account keeps its own copy as far as its quota goes, and what one charged
    for it is what its delete gives back, whatever links another account holds."""
    if path.is_file():
        return path.stat().st_size
    if not path.is_dir():
        return 0
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file() and not item.is_symlink())


def stored_bytes(path: Path) -> int:
    """What a stored row's files take where the storage layer keeps them (apps.core.storage):
    on this machine's disk by default, in the bucket under the same key on S3 (a worker's
    working copies there are not what the account keeps)."""
    from apps.core.storage import is_local, remote_bytes

    return disk_bytes(path) if is_local() else remote_bytes(path)


def stored_rows(get_model=global_apps.get_model) -> Iterator[tuple[models.Model, Path]]:
    """Every stored row with its path. `get_model` may be a migration's (historical models)."""
    for kind in STORED_KINDS:
        model = get_model(*kind.label.split("."))
        for row in model.objects.select_related(*kind.related).iterator(chunk_size=500):
            if (path := kind.path(row)) is not None:
                yield row, path


def stored_paths(root: models.Model) -> dict[tuple[str, int], Path]:
    """The files of every stored row that `root` (a shareable root) holds, by (label, pk)."""
    paths = {}
    for kind in STORED_KINDS:
        model = global_apps.get_model(kind.label)
        if root_model(model) is not type(root):
            continue
        path_to_root = ROOTS[kind.label]
        rows = model.objects.filter(**({path_to_root: root} if path_to_root else {"pk": root.pk}))
        for row in rows.select_related(*kind.related):
            if (path := kind.path(row)) is not None:
                paths[kind.label, row.pk] = path
    return paths


def paths_under(root: models.Model) -> Iterable[Path]:
    """The files of every stored row that `root` (a shareable root) holds."""
    return stored_paths(root).values()
