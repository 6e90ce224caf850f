"""Safe extraction of user-sent zip archives: no absolute paths, no `..`, no links, no name
twice, no encrypted entries, and caps on entries, expanded size and compression ratio
(zip-slip and zip bombs). An entry that cannot be read (bad CRC, unknown compression, a
broken stream) is an ArchiveError like every other refusal, never a server error."""

from __future__ import annotations

import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

ZIP_MAX_ENTRIES = 10_000
ZIP_MAX_RATIO = 200
ZIP_MAX_EXPANDED_BYTES = 20 * 1024**3


# What zipfile raises while reading a damaged entry: a bad CRC or header (BadZipFile), an
# encrypted entry (RuntimeError), an unknown compression method (NotImplementedError), a
# broken deflate, bzip2 or lzma stream (zlib.error, OSError, EOFError), a bad field (ValueError).
_UNREADABLE = (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error, EOFError, OSError, ValueError)
ENCRYPTED_FLAG = 0x1  # general purpose bit 0


class ArchiveError(Exception):
    """An archive that is refused; the message names the offending entry."""


def extract_zip_safely(archive: Path, destination: Path, allowed_suffixes: frozenset[str], *,
                       max_expanded_bytes: int = ZIP_MAX_EXPANDED_BYTES) -> list[str]:
    """Extracts only regular files with these suffixes and safe relative names; raises
    ArchiveError naming the first offending entry. Returns the extracted relative paths."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise ArchiveError(f"not a valid zip archive: {exc}") from None
    with zf:
        members = zf.infolist()
        if len(members) > ZIP_MAX_ENTRIES:
            raise ArchiveError(f"the archive has {len(members)} entries; at most {ZIP_MAX_ENTRIES}")
        total = 0
        chosen = []
        names = set()
        for info in members:
            name = PurePosixPath(info.filename)
            mode = info.external_attr >> 16
            if info.filename.startswith(("/", "\\")) or ".." in name.parts or ":" in info.filename:
                raise ArchiveError(f"unsafe path in archive: {info.filename!r}")
            if stat.S_ISLNK(mode):
                raise ArchiveError(f"links are not allowed in archives: {info.filename!r}")
            # Two entries of one name: which one a reader takes depends on the reader.
            if info.filename in names:
                raise ArchiveError(f"the archive holds {info.filename!r} twice")
            names.add(info.filename)
            if info.is_dir():
                continue
            if info.flag_bits & ENCRYPTED_FLAG:
                raise ArchiveError(f"{info.filename!r} is encrypted")
            if info.compress_size and info.file_size / info.compress_size > ZIP_MAX_RATIO:
                raise ArchiveError(f"suspicious compression ratio for {info.filename!r}")
            total += info.file_size
            if total > max_expanded_bytes:
                raise ArchiveError("the archive expands to more than the allowed size")
            # Hidden files and folders stay out, as the storage layer leaves them out of what
            # it stores (apps.core.storage.publish_tree): the same on every backend.
            if name.suffix.lower() in allowed_suffixes and not any(part.startswith(".") for part in name.parts):
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
            _copy_entry(zf, info, target)
            extracted.append(info.filename)
        return extracted


def _copy_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> None:
    """Copies one entry with a running cap (the header's declared size may lie). Only reading
    the entry is guarded: a failure to write our own file is the server's, not the archive's."""
    try:
        source = zf.open(info)
    except _UNREADABLE:
        raise ArchiveError(f"{info.filename!r} cannot be read (the archive is damaged)") from None
    with source, target.open("wb") as sink:
        written = 0
        while chunk := _read_part(source, info):
            written += len(chunk)
            if written > info.file_size:
                raise ArchiveError(f"{info.filename!r} is larger than its header says")
            sink.write(chunk)


def _read_part(source, info: zipfile.ZipInfo) -> bytes:
    try:
        return source.read(1 << 20)
    except _UNREADABLE:
        raise ArchiveError(f"{info.filename!r} cannot be read (the archive is damaged)") from None
