"""A training run's checkpoints in the bucket as soon as they are saved (on S3), so an
execution lost mid-run (its process killed, its host gone) leaves its newest complete
checkpoint where the next execution, on any worker, finds it.

The engine hands each complete checkpoint directory over (Callbacks.on_checkpoint). Its files
are hard-linked into a snapshot under the run folder's hidden `.saved/` (the engine replaces
the directory at its next save; the links keep these bytes, and nothing is copied), which a
background thread publishes as a folder of its own (its files, then its manifest) and only
then names in the run's index (INDEX, one object: {"last" | "best": {"folder", "step"}}), so
a reader of the index never finds half a checkpoint. The folder it replaced is deleted after.
At most SNAPSHOTS_QUEUED snapshots wait to be stored; past that the engine waits. The run's
account is charged each snapshot and index as it is stored and given back each as it is
deleted, so what a lost execution leaves in the bucket is counted once, whatever comes after
(a resume, another lost execution, the run's deletion).

Nodes of a multi-node run share no run folder on S3: rank 0 saves whole checkpoints and stores
them, and when torchrun starts the processes again every node first takes the stored ones
(`restore_stored_at_restart`). Rank 0 runs on whichever node's host c10d ranks first (it ranks
hosts by address, not by node rank), so node 0 takes them too before it publishes the folder.

When an execution ends, its run folder is published whole (apps.training.services), as new as
any checkpoint it indexed, and the index goes with `.saved/` (`retire`). An index found when an
execution starts is therefore a lost execution's last stored checkpoints, which `fetch_into`
puts in place of the folder's where they are newer (steps compared: an execution lost between
storing its folder and retiring its index, after a store failed, leaves an older one named).

On the local backend none of this runs: the run folder is where the files are stored."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import queue
import re
import threading
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from django.db import connection

from apps.core import file_cache
from apps.core import storage as core_storage
from apps.core.files import remove_tree
from apps.quotas.accounts import Account
from apps.quotas.storage import storage_charge, storage_release
from apps.quotas.stored import disk_bytes

logger = logging.getLogger(__name__)

INDEX = ".checkpoints.json"
SAVED = ".saved"
# Snapshots waiting for the thread: enough to keep training while one uploads, few enough
# that a slow bucket cannot fill the worker's disk with links to replaced checkpoints.
SNAPSHOTS_QUEUED = 2
# The checkpoints the engine saves, and the folder names given to their snapshots.
NAMES = ("last", "best")
_FOLDER = re.compile(r"(last|best)-[0-9a-f]{32}")


class CheckpointUploader:
    """Stores one execution's checkpoints as the engine saves them (see the module)."""

    def __init__(self, out_dir: Path, waiting: Callable[[], AbstractContextManager] = nullcontext,
                 account: Account | None = None):
        self.out_dir = Path(out_dir)
        # Charged what each store adds to the bucket and given back what it deletes there, so
        # what a lost execution leaves stored is counted once, never again by a later one.
        self.account = account
        # Entered while the engine waits for the bucket (a full queue, the last uploads): the
        # execution's lease is beaten meanwhile, so a slow bucket does not make it look dead.
        self.waiting = waiting
        self.index = index_read(self.out_dir)
        self.index_bytes = core_storage.remote_bytes(self.out_dir / INDEX)
        self.queue: queue.Queue = queue.Queue(maxsize=SNAPSHOTS_QUEUED)
        self.thread = threading.Thread(target=self._work, name="checkpoint-store", daemon=True)
        self.thread.start()

    def saved(self, name: str, directory: Path, step: int) -> None:
        """The engine's on_checkpoint: snapshots the directory and queues it (waiting while
        the queue is full)."""
        snapshot = self.out_dir / SAVED / f"{name}-{uuid.uuid4().hex}"
        _link_tree(Path(directory), snapshot)
        try:
            self.queue.put_nowait((name, snapshot, step))
        except queue.Full:
            with self.waiting():
                self.queue.put((name, snapshot, step))

    def close(self) -> None:
        """Returns once every checkpoint handed over is stored (or failed to be: the run
        folder published at the execution's end still holds it)."""
        with self.waiting():
            self.queue.put(None)
            self.thread.join()

    def _work(self) -> None:
        try:
            while (item := self.queue.get()) is not None:
                name, snapshot, step = item
                try:
                    self._store(name, snapshot, step)
                except Exception:
                    logger.warning("storing checkpoint %s at step %s failed; the run folder is stored when "
                                   "the execution ends", name, step, exc_info=True)
                finally:
                    remove_tree(snapshot)
        finally:
            connection.close()  # this thread's own

    def _store(self, name: str, snapshot: Path, step: int) -> None:
        # Charged before it is stored and set right after: a process killed meanwhile leaves
        # no stored byte uncharged (at worst bytes it did not get to store charged, until
        # storage_recompute), and a failed store's part, left until `retire`, is charged.
        reserved = disk_bytes(snapshot)
        self._charge(reserved)
        try:
            core_storage.publish_tree(snapshot)
        finally:
            self._charge(core_storage.remote_bytes(snapshot) - reserved)
        replaced = self.index.get(name)
        index = {**self.index, name: {"folder": snapshot.name, "step": step}}
        body = json.dumps(index).encode()
        self._charge(len(body) - self.index_bytes)
        core_storage.put_bytes(core_storage.key_of(self.out_dir / INDEX), body)
        # Only once the bucket names it: after a failed write the folder it holds stays the
        # one a later store replaces (and deletes).
        self.index, self.index_bytes = index, len(body)
        if replaced is not None and replaced["folder"] != snapshot.name:
            folder = self.out_dir / SAVED / replaced["folder"]
            freed = core_storage.remote_bytes(folder)
            core_storage.remove_remote(folder)
            self._charge(-freed)  # after the delete: a kill between leaves it charged, not free

    def _charge(self, nbytes: int) -> None:
        if self.account is not None:
            storage_charge(self.account, nbytes, force=True)


def uploader(out_dir: Path, waiting: Callable[[], AbstractContextManager] = nullcontext,
             account: Account | None = None) -> CheckpointUploader | None:
    """An uploader for an execution writing checkpoints under `out_dir`, charging `account`
    what it stores; None on the local backend, where they are stored as they are written."""
    if core_storage.is_local():
        return None
    if connection.in_atomic_block:
        # The thread charges the quota on a connection of its own: rows this open transaction
        # wrote would hold it until the execution, which waits for the thread, ended.
        raise RuntimeError("a training execution on object storage must not run inside a transaction")
    return CheckpointUploader(out_dir, waiting, account)


def index_read(out_dir: Path) -> dict[str, dict]:
    """The run's indexed checkpoints ({} when none); entries that are not ours are refused."""
    try:
        with core_storage.open_blob(core_storage.key_of(Path(out_dir) / INDEX)) as source:
            index = json.loads(source.read())
    except FileNotFoundError:
        return {}
    for name, entry in index.items():
        if name not in NAMES or not _FOLDER.fullmatch(str(entry.get("folder"))) \
                or not entry["folder"].startswith(f"{name}-") or not isinstance(entry.get("step"), int):
            raise core_storage.OwnedKeyError(f"the run's checkpoint index names {name!r} wrongly")
    return index


def fetch_into(out_dir: Path) -> dict[str, dict]:
    """Puts the indexed checkpoints (each checked against its manifest) in place of the run
    folder's copies of them, unless a copy is as new (a folder stored after a store of its
    checkpoint failed holds a newer one than the index names); returns the index."""
    index = index_read(out_dir)
    for name, entry in index.items():
        if checkpoint_step(out_dir / name) >= entry["step"]:
            continue
        folder = out_dir / SAVED / entry["folder"]
        file_cache.fetched_tree(folder)
        remove_tree(out_dir / name)
        os.replace(folder, out_dir / name)
    return index


def restore_stored_at_restart(out_dir: Path) -> bool:
    """For nodes that share no run folder: when torchrun starts this node's processes again
    (on every node, whichever process died), the first of them makes this host's `last` and
    `best` the stored ones (the index's, else those of the run folder as stored), so every
    node starts from what the bucket holds, never from a checkpoint rank 0 saved but did not
    get to store, which the others lack. Whether this start is a restart: a start's processes
    record their ids, and a start finds the previous one's all gone (torchrun stops them all
    first). The first start takes the folder its worker has just fetched."""
    out_dir = Path(out_dir)
    with (out_dir / ".restart.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        started = out_dir / ".started-pids"
        pids = [int(pid) for pid in started.read_text().split()] if started.exists() else None
        restart = pids is not None and not any(_alive(pid) for pid in pids)
        if restart:
            index = index_read(out_dir)
            for name in NAMES:
                remove_tree(out_dir / name)
                if name not in index and core_storage.stored_exists(out_dir / name / core_storage.MANIFEST):
                    file_cache.fetched_tree(out_dir / name)
            fetch_into(out_dir)
        started.write_text(" ".join(str(pid) for pid in [*([] if restart else pids or []), os.getpid()]))
    return restart


def checkpoint_step(checkpoint: Path) -> int:
    """The step a checkpoint on this host was saved at; -1 when there is none (or it is not
    resumable, so it names no step)."""
    try:
        return int(json.loads((checkpoint / "trainer_state.json").read_text())["step"])
    except (FileNotFoundError, KeyError, TypeError, ValueError):
        return -1


def stored_bytes(out_dir: Path) -> int:
    """What the index and its folders take in the bucket (a lost execution's, charged to no one)."""
    return core_storage.remote_bytes(out_dir / INDEX) + core_storage.remote_bytes(out_dir / SAVED)


def retire(out_dir: Path, account: Account | None = None) -> None:
    """Drops the index, then every folder under `.saved/` (a lost execution's half-stored ones
    too), once the run folder is published with checkpoints as new as they, giving back to
    `account` what they took (nothing on the local backend)."""
    if account is not None:
        storage_release(account, stored_bytes(out_dir))
    core_storage.remove_remote(out_dir / INDEX)
    core_storage.remove_remote(out_dir / SAVED)


def _link_tree(source: Path, target: Path) -> None:
    for path in sorted(source.rglob("*")):
        linked = target / path.relative_to(source)
        if path.is_dir():
            linked.mkdir(parents=True, exist_ok=True)
        elif path.is_file():
            linked.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, linked)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
