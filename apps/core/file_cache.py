"""A worker's local copies of stored objects (apps.core.storage), for tasks that need a file
on disk: bounded by bytes (SLOUGHGPT_WORKER_CACHE_BYTES), least recently used first out,
each copy checked against the sha256 it was stored with.

Safe under concurrent tasks and processes: one lock file per entry (flock), held exclusively
only while a missing entry is fetched, shared while a task uses it (so tasks pinning several
entries in any order never wait on each other's pins); eviction takes an entry only when it
can lock it exclusively without waiting, so an entry in use stays. A copy appears under its
name only complete and verified (a rename). On the local backend the stored file is already
here: its own path is used, nothing is copied.

A published folder (a checkpoint, an upload's source folder) is fetched whole into this
machine's copy of its key (`fetched_tree`, for a task that goes on writing there), each file
checked against the folder's manifest; a task that only reads it takes `pinned_tree`, whose
files are cache entries."""

from __future__ import annotations

import fcntl
import hashlib
import os
import posixpath
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from . import storage

CHUNK = 1 << 20
FETCH_TRIES = 2  # a copy that does not match is fetched once more, then the task fails


class CacheError(Exception):
    """A stored object could not be made a local file; the message says why (by file name)."""


@contextmanager
def fetched(key: str, sha256: str) -> Iterator[Path]:
    """A local path holding the object at `key`, for as long as the block runs (the copy is
    not evicted meanwhile)."""
    if storage.is_local():
        yield storage.local_path(key)
        return
    with worker_cache().pinned(key, sha256) as path:
        yield path


def fetch(key: str, sha256: str) -> Path:
    """`fetched` for callers that take a path and keep it (not pinned: a full cache may evict
    it once newer entries need the room)."""
    with fetched(key, sha256) as path:
        return path


def fetched_tree(folder: Path) -> Path:
    """Makes `folder`, this machine's copy of a published folder (apps.core.storage.publish_tree),
    hold every file its manifest names: files already here with the right sha256 stay, the
    others are downloaded and checked (fetched once more on a mismatch, then CacheError).
    On the local backend the folder is the stored one: nothing is copied."""
    if storage.is_local():
        return folder
    try:
        manifest = storage.tree_manifest(folder)
    except FileNotFoundError:
        raise CacheError(f"{folder.name}: nothing is stored for this folder") from None
    for relative, sha256 in manifest.items():
        path = folder / relative
        if path.is_file() and storage.file_sha256(path) == sha256:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        _fetch_verified(storage.key_of(path), sha256, path)
    return folder


@contextmanager
def pinned_tree(folder: Path) -> Iterator[Path]:
    """A folder holding every file of a published folder (apps.core.storage.publish_tree),
    for as long as the block runs, to read and not to write: each file is an entry of the
    worker's cache (fetched and checked like any object, within its bound), pinned, and
    hard-linked under its own name into a view of the folder made for this block. On the
    local backend the folder is the stored one."""
    if storage.is_local():
        yield folder
        return
    try:
        manifest = storage.tree_manifest(folder)
    except FileNotFoundError:
        raise CacheError(f"{folder.name}: nothing is stored for this folder") from None
    cache = worker_cache()
    views = cache.root / "views"
    _views_of_dead_processes_remove(views)
    view = views / f"{os.getpid()}-{uuid.uuid4().hex}" / folder.name
    try:
        view.mkdir(parents=True)  # there even when the folder holds no file
        with ExitStack() as pins:
            # In one order: two tasks pinning the same folder take its entries' locks alike.
            for relative, sha256 in sorted(manifest.items()):
                entry = pins.enter_context(cache.pinned(storage.key_of(folder / relative), sha256))
                (view / relative).parent.mkdir(parents=True, exist_ok=True)
                os.link(entry, view / relative)  # the cache's own folder: one file system
            yield view
    finally:
        shutil.rmtree(view.parent, ignore_errors=True)


def _views_of_dead_processes_remove(views: Path) -> None:
    # A view's links would keep evicted copies on disk, outside the cache's bound.
    for view in views.glob("*-*") if views.is_dir() else ():
        pid = view.name.split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(view, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _fetch_verified(key: str, sha256: str, path: Path) -> None:
    """Downloads `key` to `path` through a partial file, checked against `sha256`: fetched
    once more when it does not match, then CacheError naming the file."""
    got = None
    for _ in range(FETCH_TRIES):
        partial = path.with_name(f".part-{uuid.uuid4().hex}")
        try:
            got = _download(key, partial)
            if got == sha256:
                os.replace(partial, path)
                return
        finally:
            partial.unlink(missing_ok=True)
    raise CacheError(f"{path.name}: the stored copy does not match its checksum (sha256 {got}, "
                     f"expected {sha256}), fetched {FETCH_TRIES} times")


def worker_cache() -> FileCache:
    return FileCache(Path(settings.SLOUGHGPT_WORKER_CACHE_DIR), settings.SLOUGHGPT_WORKER_CACHE_BYTES)


@contextmanager
def _flock(path: Path, mode: int) -> Iterator[int]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode)
        yield fd
    finally:
        os.close(fd)  # closing drops the lock


@dataclass(frozen=True)
class FileCache:
    root: Path
    max_bytes: int

    def _entry(self, key: str, sha256: str) -> tuple[Path, Path, Path]:
        """(entry folder, the file in it, its lock). The file keeps the key's last part, so
        readers that go by suffix (.jsonl, .csv) see the stored name."""
        name = hashlib.sha256(f"{key}\n{sha256}".encode()).hexdigest()[:32]
        folder = self.root / "entries" / name
        return folder, folder / posixpath.basename(key), self.root / "locks" / f"{name}.lock"

    @contextmanager
    def pinned(self, key: str, sha256: str) -> Iterator[Path]:
        """The entry's copy, held shared for the block: other tasks may use it too, eviction
        skips it. The lock is taken exclusively only to fetch a missing copy, and never while
        holding it shared: a task that holds one pin and asks for a second copy that is
        already here never waits on another task's pin, whatever order they pin in."""
        folder, path, lock = self._entry(key, sha256)
        with _flock(lock, fcntl.LOCK_SH) as fd:
            while not path.exists():  # fetched by no one yet, or evicted
                # Dropped, then taken exclusively (flock's conversion drops it anyway): nothing
                # is held shared on the entry while waiting to fetch it.
                fcntl.flock(fd, fcntl.LOCK_UN)
                fcntl.flock(fd, fcntl.LOCK_EX)
                if not path.exists():  # another task may have fetched it meanwhile
                    self._fetch(key, sha256, folder, path)
                # Back to shared, then checked again: eviction may take the copy in between.
                fcntl.flock(fd, fcntl.LOCK_UN)
                fcntl.flock(fd, fcntl.LOCK_SH)
            _touch(path)
            yield path

    def _fetch(self, key: str, sha256: str, folder: Path, path: Path) -> None:
        name = path.name
        self._make_room(storage.backend().size(key), keep=folder, name=name)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            _fetch_verified(key, sha256, path)
        except CacheError:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def _make_room(self, needed: int, *, keep: Path, name: str) -> None:
        """Evicts least recently used entries nobody is using until `needed` more bytes fit.
        Entries in use stay even when that leaves the cache over its bound for a while."""
        if needed > self.max_bytes:
            raise CacheError(f"{name} is {needed} bytes, more than this worker's cache holds ({self.max_bytes})")
        with _flock(self.root / "evict.lock", fcntl.LOCK_EX):
            entries = [(_last_use(folder), folder) for folder in (self.root / "entries").glob("*")
                       if folder.is_dir() and folder != keep]
            total = sum(_folder_bytes(folder) for _, folder in entries)
            for _, folder in sorted(entries, key=lambda entry: entry[0]):
                if total + needed <= self.max_bytes:
                    break
                total -= self._evict(folder)

    def _evict(self, folder: Path) -> int:
        try:
            with _flock(self.root / "locks" / f"{folder.name}.lock", fcntl.LOCK_EX | fcntl.LOCK_NB):
                nbytes = _folder_bytes(folder)
                shutil.rmtree(folder, ignore_errors=True)
                return nbytes
        except BlockingIOError:  # in use (or being fetched): it stays
            return 0


def _download(key: str, target: Path) -> str:
    """Streams the object to `target`; returns the sha256 of what arrived."""
    digest = hashlib.sha256()
    source = storage.open_blob(key)
    try:
        with target.open("wb") as sink:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                sink.write(chunk)
    finally:
        source.close()
    return digest.hexdigest()


def _folder_bytes(folder: Path) -> int:
    return sum(item.stat().st_size for item in folder.glob("*") if item.is_file())


def _touch(path: Path) -> None:
    """Records a use (for LRU) in the access time: the modification time stays the copy's,
    so readers that key what they loaded on it (ml.infer.cache.ModelCache) see the same file."""
    os.utime(path, ns=(time.time_ns(), path.stat().st_mtime_ns))


def _last_use(folder: Path) -> float:
    return max((item.stat().st_atime for item in folder.glob("*") if item.is_file()), default=0.0)
