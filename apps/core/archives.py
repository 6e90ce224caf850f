"""Safe extraction of user-sent zip archives: no absolute paths, no `..`, no links, and caps
on entries, expanded size and compression ratio (zip-slip and zip bombs)."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

ZIP_MAX_ENTRIES = 10_000
ZIP_MAX_RATIO = 200
ZIP_MAX_EXPANDED_BYTES = 20 * 1024**3


class ArchiveError(Exception):
    """An archive that is refused; the message names the offending entry."""


def extract_zip_safely(archive: Path, destination: Path, allowed_suffixes: frozenset[str], *,
                       max_expanded_bytes: int = ZIP_MAX_EXPANDED_BYTES) -> list[str]:
    """Extracts only regular files with these suffixes and safe relative names; raises
    ArchiveError naming the first offending entry. Returns the extracted relative paths."""
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise ArchiveError(f"not a valid zip archive: {exc}") from None
    with zf:
        members = zf.infolist()
        if len(members) > ZIP_MAX_ENTRIES:
            raise ArchiveError(f"the archive has {len(members)} entries; at most {ZIP_MAX_ENTRIES}")
        total = 0
        chosen = []
        for info in members:
            name = PurePosixPath(info.filename)
            mode = info.external_attr >> 16
            if info.filename.startswith(("/", "\\")) or ".." in name.parts or ":" in info.filename:
                raise ArchiveError(f"unsafe path in archive: {info.filename!r}")
            if stat.S_ISLNK(mode):
                raise ArchiveError(f"links are not allowed in archives: {info.filename!r}")
            if info.is_dir():
                continue
            if info.compress_size and info.file_size / info.compress_size > ZIP_MAX_RATIO:
                raise ArchiveError(f"suspicious compression ratio for {info.filename!r}")
            total += info.file_size
            if total > max_expanded_bytes:
                raise ArchiveError("the archive expands to more than the allowed size")
            if name.suffix.lower() in allowed_suffixes and not name.name.startswith("."):
                chosen.append(info)
        if not chosen:
            raise ArchiveError(f"the archive holds no {', '.join(sorted(allowed_suffixes))} files")
        destination.mkdir(parents=True, exist_ok=True)
        root = destination.resolve()
        extracted = []
        for info in chosen:
            target = (root / info.filename).resolve()
            if root not in target.parents:
                raise ArchiveError(f"unsafe path in archive: {info.filename!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as source, target.open("wb") as sink:
                # Copy with a running cap: the header's declared size may lie.
                written = 0
                while chunk := source.read(1 << 20):
                    written += len(chunk)
                    if written > info.file_size:
                        raise ArchiveError(f"{info.filename!r} is larger than its header says")
                    sink.write(chunk)
            extracted.append(info.filename)
        return extracted
