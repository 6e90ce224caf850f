"""Where dataset files live on disk: paths built only from ids we generated, checked to stay
under the owner's root, plus the storage quota and safe zip extraction."""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db.models import F

from .models import StorageUsage

ALLOWED_MEMBER_SUFFIXES = {".txt", ".jsonl", ".json", ".csv"}
# Zip bombs and floods: caps on entries, total expanded size and per-entry ratio.
ZIP_MAX_ENTRIES = 10_000
ZIP_MAX_RATIO = 200
ZIP_MAX_EXPANDED_BYTES = 20 * 1024**3


class StorageError(Exception):
    """A file the user sent cannot be stored; the message says why."""


class QuotaExceeded(StorageError):
    pass


def owner_root(owner_id: int) -> Path:
    return (Path(settings.MEDIA_ROOT) / "datasets" / str(int(owner_id))).resolve()


def version_dir(owner_id: int, version_id: int) -> Path:
    root = owner_root(owner_id)
    path = (root / str(int(version_id))).resolve()
    if root not in path.parents:
        raise StorageError("refusing a path outside the owner's storage")
    return path


def _ensure_usage_row(owner_id: int) -> None:
    StorageUsage.objects.get_or_create(
        owner_id=owner_id, defaults={"quota_bytes": settings.SLOUGHGPT_STORAGE_QUOTA_BYTES}
    )


def quota_reserve(*, owner_id: int, nbytes: int) -> None:
    """Counts `nbytes` against the owner's quota, or raises QuotaExceeded; atomic."""
    _ensure_usage_row(owner_id)
    # One conditional UPDATE: the check and the increment cannot interleave with another's.
    updated = StorageUsage.objects.filter(
        owner_id=owner_id, used_bytes__lte=F("quota_bytes") - nbytes
    ).update(used_bytes=F("used_bytes") + nbytes)
    if not updated:
        usage = StorageUsage.objects.get(owner_id=owner_id)
        raise QuotaExceeded(
            f"storage quota exceeded: {usage.used_bytes} of {usage.quota_bytes} bytes used, "
            f"this upload needs {nbytes}"
        )


def quota_release(*, owner_id: int, nbytes: int) -> None:
    StorageUsage.objects.filter(owner_id=owner_id).update(used_bytes=F("used_bytes") - nbytes)


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def extract_zip_safely(archive: Path, destination: Path) -> list[str]:
    """Extracts only regular text files with safe relative names; raises StorageError naming
    the first offending entry. Returns the extracted relative paths."""
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise StorageError(f"not a valid zip archive: {exc}") from None
    with zf:
        members = zf.infolist()
        if len(members) > ZIP_MAX_ENTRIES:
            raise StorageError(f"the archive has {len(members)} entries; at most {ZIP_MAX_ENTRIES}")
        total = 0
        chosen = []
        for info in members:
            name = PurePosixPath(info.filename)
            mode = info.external_attr >> 16
            if info.filename.startswith(("/", "\\")) or ".." in name.parts or ":" in info.filename:
                raise StorageError(f"unsafe path in archive: {info.filename!r}")
            if stat.S_ISLNK(mode):
                raise StorageError(f"links are not allowed in archives: {info.filename!r}")
            if info.is_dir():
                continue
            if info.compress_size and info.file_size / info.compress_size > ZIP_MAX_RATIO:
                raise StorageError(f"suspicious compression ratio for {info.filename!r}")
            total += info.file_size
            if total > ZIP_MAX_EXPANDED_BYTES:
                raise StorageError("the archive expands to more than the allowed size")
            if name.suffix.lower() in ALLOWED_MEMBER_SUFFIXES and not name.name.startswith("."):
                chosen.append(info)
        if not chosen:
            raise StorageError("the archive holds no .txt, .jsonl, .json or .csv files")
        destination.mkdir(parents=True, exist_ok=True)
        root = destination.resolve()
        extracted = []
        for info in chosen:
            target = (root / info.filename).resolve()
            if root not in target.parents:
                raise StorageError(f"unsafe path in archive: {info.filename!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as source, target.open("wb") as sink:
                # Copy with a running cap: the header's declared size may lie.
                written = 0
                while chunk := source.read(1 << 20):
                    written += len(chunk)
                    if written > info.file_size:
                        raise StorageError(f"{info.filename!r} is larger than its header says")
                    sink.write(chunk)
            extracted.append(info.filename)
        return extracted
