"""The one storage layer for stored files, over Django's storage API (STORAGES["default"]:
the local filesystem under MEDIA_ROOT, or S3 through django-storages when configured).

Keys are built here only: `owned_key` from ids we generated (and names we chose or checked),
kept under the owner's prefix; `blob_key` from the sha256 of immutable content. Writes
stream: a body goes to a staging object while it is hashed, counted and charged to the
storage quota (apps.quotas), and becomes the final key only once complete (a local rename,
or a server-side copy on S3), so a failed upload leaves no object and gives its charge back
(what a killed process left in staging goes with `staging_sweep`, a periodic task).
Reads stream too (`open_blob`); on S3 a download is a short-lived presigned URL (`blob_url`).

Files a worker makes (checkpoints, imported and exported models) are written to this
machine's copy of their key (`local_path`) and then `publish`ed: stored under the key on S3,
left where they are on the local backend (they are stored already). A folder is published
with a manifest of its files' sha256, which apps.core.file_cache checks what it fetches
against."""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header

CHUNK = 1 << 20
MANIFEST = ".manifest.json"  # a published folder's {relative name: sha256}
STAGING = "incoming"  # where bodies land until they are complete (never an owner's prefix)
# Hidden names that are finished files, published with their folder: the index
# torch.distributed.checkpoint writes last into a sharded checkpoint (a training run's dcp/).
PUBLISHED_HIDDEN = frozenset({".metadata"})
# A part of an owned key between the owner and the name: an id, or one of our own words
# ("evaluations", ".recipe-runs").
_WORD = re.compile(r"\.?[a-z][a-z0-9_-]*")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class OwnedKeyError(SuspiciousFileOperation):
    """A key that would leave its owner's prefix, or a part that is not one of ours."""


def backend() -> Storage:
    return storages["default"]


def is_local() -> bool:
    """Whether stored files are this machine's own (FileSystemStorage), not a bucket's."""
    return isinstance(backend(), FileSystemStorage)


def is_plain_name(name: str) -> bool:
    """One plain file name: no folders, not hidden, no control characters (the rule for every
    name that becomes the last part of a key, and for names users give files)."""
    return bool(name) and len(name) <= 255 and "/" not in name and "\\" not in name \
        and not name.startswith(".") and not any(ord(char) < 32 or ord(char) == 127 for char in name)


def _part(value) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, str) and (value.isdigit() or _WORD.fullmatch(value)):
        return value
    raise OwnedKeyError(f"not an id or a storage word: {value!r}")


def owned_key(kind: str, owner_id: int, *ids, name: str | None = None) -> str:
    """`kind/<owner>/<id>/.../<name>`, built from ids we generated; `name` must be one plain
    file name. The result is checked to stay under the owner's prefix (and, on the local
    backend, to resolve there, so a link planted in the tree cannot lead out)."""
    if not _WORD.fullmatch(kind) or kind.startswith("."):
        raise OwnedKeyError(f"not a storage kind: {kind!r}")
    root = f"{kind}/{_part(int(owner_id))}"
    parts = [_part(value) for value in ids]
    if name is not None:
        if not is_plain_name(name):
            raise OwnedKeyError("refusing a file name that is not one plain name")
        parts.append(name)
    if not parts:
        return root
    key = posixpath.join(root, *parts)
    if posixpath.normpath(key) != key or not key.startswith(root + "/"):
        raise OwnedKeyError("refusing a path outside the owner's storage")
    if is_local():
        _inside(local_path(root), local_path(key))
    return key


def _inside(root: Path, path: Path) -> Path:
    if root not in path.parents:
        raise OwnedKeyError("refusing a path outside the owner's storage")
    return path


def owned_path(kind: str, owner_id: int, *ids, name: str | None = None) -> Path:
    """The local file or folder of `owned_key(...)`, resolved: what callers that work on this
    machine's files (a worker's checkpoints, an extracted archive) use."""
    key = owned_key(kind, owner_id, *ids, name=name)
    path = local_path(key)
    if key != (root := owned_key(kind, owner_id)):
        _inside(local_path(root), path)
    return path


def local_path(key: str) -> Path:
    """Where `key` lies on this machine: under MEDIA_ROOT, whichever backend holds the
    stored object (on S3 that is this machine's working copy, not the object)."""
    return (Path(settings.MEDIA_ROOT) / key).resolve()


def key_of(path: Path) -> str:
    """The key of a local path under MEDIA_ROOT (the inverse of `local_path`)."""
    return Path(path).resolve().relative_to(Path(settings.MEDIA_ROOT).resolve()).as_posix()


def blob_key(sha256: str) -> str:
    """`blobs/sha256/ab/cdef...`: the address of immutable content, the same for every copy."""
    if not _SHA256.fullmatch(sha256):
        raise OwnedKeyError("not a sha256 hex digest")
    return f"blobs/sha256/{sha256[:2]}/{sha256[2:]}"


# -- writing -----------------------------------------------------------------------------

class _Metered:
    """The body as boto3 or the local writer read it: hashed, counted, capped, and charged
    to the quota as it arrives (a body of unknown size: one charge per read, a MiB or a part)."""

    def __init__(self, stream: BinaryIO, *, account, declared: int | None, limit: int | None):
        self.stream, self.account, self.declared, self.limit = stream, account, declared, limit
        self.digest, self.size, self.charged = hashlib.sha256(), 0, 0

    def charge(self, nbytes: int) -> None:
        from apps.quotas.storage import storage_charge

        if self.account is not None and nbytes > 0:
            storage_charge(self.account, nbytes)
            self.charged += nbytes

    def read(self, n: int = -1) -> bytes:
        chunk = self.stream.read(CHUNK if n is None or n < 0 else n)
        self.size += len(chunk)
        if self.declared is not None and self.size > self.declared:
            raise ValidationError({"body": [f"more bytes than Content-Length ({self.declared})"]})
        if self.limit is not None and self.size > self.limit:
            raise ValidationError({"body": [f"the file is larger than the {self.limit}-byte limit"]})
        if self.size > self.charged:
            self.charge(self.size - self.charged)
        self.digest.update(chunk)
        return chunk

    def finish(self) -> None:
        if self.declared is not None and self.size != self.declared:
            raise ValidationError({"body": [f"received {self.size} of {self.declared} bytes; the upload was cut short"]})


@dataclass(frozen=True)
class Staged:
    """A complete body in the staging area, charged to `account`, not yet at its key."""

    key: str
    sha256: str
    size: int
    account: object | None  # apps.quotas.accounts.Account


def _transfer_config():
    from boto3.s3.transfer import TransferConfig

    part = settings.SLOUGHGPT_S3_MULTIPART_BYTES
    # One thread: the body is read (and the quota charged) in the caller's thread, inside
    # its database transaction.
    return TransferConfig(use_threads=False, multipart_threshold=part, multipart_chunksize=part)


def _write(key: str, body: _Metered) -> None:
    store = backend()
    if isinstance(store, FileSystemStorage):
        path = local_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("xb") as sink:  # "x": never write through a file (or link) already there
            while chunk := body.read(CHUNK):
                sink.write(chunk)
    else:
        store.bucket.Object(key).upload_fileobj(
            body, ExtraArgs={"ContentType": "application/octet-stream"}, Config=_transfer_config())


def receive(stream: BinaryIO, *, account=None, declared: int | None = None, limit: int | None = None) -> Staged:
    """Streams `stream` into a staging object, hashing it and charging `account` as it
    grows (the declared size at once, so a full quota refuses before any byte is read).
    Any failure (the client, the backend, the quota) removes what was written and gives the
    charge back. The caller then `promote`s it to its key or `discard`s it."""
    body = _Metered(stream, account=account, declared=declared, limit=limit)
    key = f"{STAGING}/{uuid.uuid4().hex}"
    try:
        body.charge(declared or 0)
        _write(key, body)
        body.finish()
        if _stored_size(key) != body.size:
            raise OSError(f"the backend stored {_stored_size(key)} of {body.size} bytes")
    except BaseException:
        _delete_quietly(key)
        _release(account, body.charged)
        raise
    return Staged(key=key, sha256=body.digest.hexdigest(), size=body.size, account=account)


def promote(staged: Staged, key: str) -> None:
    """Makes the staged body the object at `key`: a rename on this machine's disk, a
    server-side copy on S3 (the staging object goes either way)."""
    store = backend()
    if isinstance(store, FileSystemStorage):
        target = local_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(local_path(staged.key), target)
        return
    client = store.connection.meta.client
    source = {"Bucket": store.bucket_name, "Key": staged.key}
    try:
        client.copy(source, store.bucket_name, key, Config=_transfer_config())
    finally:
        _delete_quietly(staged.key)


def discard(staged: Staged) -> None:
    """Drops a staged body and gives its charge back (a duplicate of something stored)."""
    _delete_quietly(staged.key)
    _release(staged.account, staged.size)


def store_blob(stream: BinaryIO, *, account=None, declared: int | None = None, limit: int | None = None,
               expected_sha256: str | None = None) -> tuple[str, str, int]:
    """Stores immutable content at its content address; returns (key, sha256, size). The
    bytes are charged to `account` (each account pays for what it keeps, even when another
    already stored the same content). `expected_sha256`: refuse content that does not match."""
    staged = receive(stream, account=account, declared=declared, limit=limit)
    if expected_sha256 is not None and staged.sha256 != expected_sha256:
        discard(staged)
        raise ValidationError({"body": [f"the content's sha256 is {staged.sha256}, not {expected_sha256}"]})
    key = blob_key(staged.sha256)
    if backend().exists(key):  # the same bytes are stored already: keep one copy
        _delete_quietly(staged.key)
    else:
        try:
            promote(staged, key)
        except BaseException:
            _release(account, staged.size)
            raise
    return key, staged.sha256, staged.size


# -- publishing what a worker made -------------------------------------------------------

def publish(path: Path, *, key: str | None = None) -> None:
    """Stores this machine's file at `path` (under MEDIA_ROOT) at its key (or at `key`),
    streamed (in parts past the multipart threshold). Nothing to do on the local backend
    for a file at its own key: it is stored there."""
    store = backend()
    if isinstance(store, FileSystemStorage):
        if key is not None and local_path(key) != Path(path).resolve():
            local_path(key).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, local_path(key))
        return
    with Path(path).open("rb") as source:
        store.bucket.Object(key or key_of(path)).upload_fileobj(
            source, ExtraArgs={"ContentType": "application/octet-stream"}, Config=_transfer_config())


def publish_tree(folder: Path) -> None:
    """Stores every file under `folder` at its key, then a manifest (each file's sha256) for
    the folder and for each folder in it (a checkpoint is read on its own), so a reader that
    finds a manifest finds every file it names. Hidden files and folders (a writer's
    unfinished ones) stay behind, except PUBLISHED_HIDDEN files in a folder that is not
    hidden. Nothing to do on the local backend."""
    if is_local():
        return
    folder = Path(folder)
    manifests: dict[Path, dict[str, str]] = {folder: {}}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        checked = relative.parent.parts if relative.name in PUBLISHED_HIDDEN else relative.parts
        if any(part.startswith(".") for part in checked):
            continue
        if path.is_dir() and not path.is_symlink():
            manifests[path] = {}
        elif path.is_file() and not path.is_symlink():
            sha256 = file_sha256(path)
            publish(path)
            for parent in manifests:  # every folder above it (sorted: parents come first)
                if parent in path.parents:
                    manifests[parent][path.relative_to(parent).as_posix()] = sha256
    for directory, manifest in manifests.items():
        manifest_write(directory, manifest)


def manifest_write(folder: Path, manifest: dict[str, str]) -> None:
    """Records a stored folder's files and their sha256 (on S3; the local backend's folder
    is read where it lies)."""
    if not is_local():
        put_bytes(tree_manifest_key(folder), json.dumps(manifest, sort_keys=True).encode())


def tree_manifest_key(folder: Path) -> str:
    return f"{key_of(folder)}/{MANIFEST}"


def tree_manifest(folder: Path) -> dict[str, str]:
    """The published folder's files and their sha256; FileNotFoundError when it was never
    published (or is gone)."""
    with open_blob(tree_manifest_key(folder)) as source:
        manifest = json.loads(source.read())
    for relative in manifest:
        if posixpath.normpath(relative) != relative or relative.startswith(("/", "..")):
            raise OwnedKeyError(f"a manifest names a file outside its folder: {relative!r}")
    return manifest


def tree_put(folder: Path, relative: str, data: bytes) -> None:
    """Replaces one small file of a stored folder (its manifest follows on S3)."""
    path = Path(folder) / relative
    if is_local():
        path.write_bytes(data)
        return
    put_bytes(key_of(path), data)
    manifest = tree_manifest(folder)
    manifest[relative] = hashlib.sha256(data).hexdigest()
    manifest_write(folder, manifest)


def copy_tree(source: Path, target: Path) -> None:
    """Copies a stored folder to another key (a server-side copy of each object on S3)."""
    store = backend()
    if isinstance(store, FileSystemStorage):
        shutil.copytree(source, target)
        return
    client, prefix = store.connection.meta.client, key_of(source)
    target_prefix = key_of(target)
    for obj in _objects_under(store, prefix):
        client.copy({"Bucket": store.bucket_name, "Key": obj.key}, store.bucket_name,
                    target_prefix + obj.key[len(prefix):], Config=_transfer_config())


def keep_file(path: Path) -> None:
    """Stores a file received on this machine (under MEDIA_ROOT) at its own key: nothing more
    to do on the local backend; on S3 it is uploaded and this machine's copy goes."""
    if not is_local():
        publish(path)
        Path(path).unlink(missing_ok=True)


def move_stored(source: Path, target: Path) -> None:
    """Moves a stored file or folder to another key (a new owner's) on the local backend: a
    rename. On S3 a move is a copy before the rows name the new key and a delete after
    (`copy_tree`, `remove_remote`), so a late retry never overwrites newer files."""
    if not is_local():
        raise RuntimeError("move_stored renames on the local backend only")
    if source.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, target)


def put_bytes(key: str, data: bytes) -> None:
    store = backend()
    if isinstance(store, FileSystemStorage):
        path = local_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    else:
        store.bucket.Object(key).put(Body=data, ContentType="application/octet-stream")


def stored_exists(path: Path) -> bool:
    """Whether the stored object of this machine's `path` exists (on S3: in the bucket)."""
    return Path(path).is_file() if is_local() else backend().exists(key_of(path))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# -- reading and deleting ----------------------------------------------------------------

def open_blob(key: str) -> BinaryIO:
    """The stored object's bytes as a stream (a local file, or S3's response body)."""
    store = backend()
    if isinstance(store, FileSystemStorage):
        return local_path(key).open("rb")
    try:
        return store.bucket.Object(key).get()["Body"]
    except store.connection.meta.client.exceptions.NoSuchKey:
        raise FileNotFoundError(f"no stored object {posixpath.basename(key)}") from None


def blob_url(key: str, filename: str, *, content_type: str = "application/octet-stream") -> str | None:
    """A short-lived link that downloads the object as an attachment named `filename`
    (a presigned URL on S3); None on the local backend, where callers stream the file."""
    store = backend()
    if isinstance(store, FileSystemStorage):
        return None
    return store.url(key, expire=settings.SLOUGHGPT_S3_URL_EXPIRE_S, parameters={
        "ResponseContentDisposition": content_disposition_header(True, filename),
        "ResponseContentType": content_type,
    })


def attachment_response(key: str, filename: str, *, content_type: str = "application/octet-stream") -> HttpResponse:
    """The stored object as a download: streamed from the local backend with `nosniff`, or a
    redirect to its presigned URL on S3 that no shared cache keeps (the link is a credential
    for its lifetime). `content_type`: what we generated the file as (a chart's image/png);
    anything a user sent stays application/octet-stream."""
    if url := blob_url(key, filename, content_type=content_type):
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        return response
    response = FileResponse(open_blob(key), as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def delete_blob(key: str, *, account=None, size: int = 0) -> None:
    """Deletes the object at `key` and gives `size` bytes back to `account`. A blob is shared
    by everything that stored the same bytes: call it when the last row naming it goes."""
    _delete_quietly(key)
    _release(account, size)


def remote_bytes(path: Path) -> int:
    """Bytes of the bucket's objects under the key of `path` (a stored row's local folder or
    file); 0 on the local backend, whose files are measured on disk."""
    store = backend()
    if isinstance(store, FileSystemStorage):
        return 0
    return sum(obj.size for obj in _objects_under(store, key_of(path)))


def remove_remote(path: Path) -> None:
    """Deletes the bucket's objects under the key of `path` (nothing on the local backend)."""
    store = backend()
    if not isinstance(store, FileSystemStorage):
        for obj in _objects_under(store, key_of(path)):
            obj.delete()


def staging_sweep(*, older_than_s: int) -> int:
    """Deletes staging objects (`receive`'s) older than `older_than_s` seconds: the bodies of
    uploads whose process was killed before it could promote or delete them, and on S3 the
    parts of every multipart upload begun that long ago and never finished or aborted (a
    staging body's, or a worker's checkpoint, snapshot or export stored straight at its key
    by a process killed mid-part): the bucket bills them, and nothing else would ever abort
    them. Returns how many went. A live upload's staging object is younger (a local file's
    time moves with each write), and no upload lasts that long."""
    cutoff = time.time() - older_than_s
    store = backend()
    if isinstance(store, FileSystemStorage):
        folder, swept = local_path(STAGING), 0
        for path in folder.glob("*") if folder.is_dir() else ():
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                swept += 1
        return swept
    prefix = f"{STAGING}/"
    old = [obj for obj in store.bucket.objects.filter(Prefix=prefix) if obj.last_modified.timestamp() < cutoff]
    for obj in old:
        obj.delete()
    unfinished = [upload for upload in store.bucket.multipart_uploads.all()
                  if upload.initiated.timestamp() < cutoff]
    for upload in unfinished:
        upload.abort()
    return len(old) + len(unfinished)


def _objects_under(store, key_prefix: str):
    for obj in store.bucket.objects.filter(Prefix=key_prefix):
        if obj.key == key_prefix or obj.key.startswith(key_prefix.rstrip("/") + "/"):
            yield obj


def _stored_size(key: str) -> int:
    return backend().size(key)


def _delete_quietly(key: str) -> None:
    store = backend()
    if isinstance(store, FileSystemStorage):
        local_path(key).unlink(missing_ok=True)
    else:
        store.delete(key)


def _release(account, nbytes: int) -> None:
    from apps.quotas.storage import storage_release

    if account is not None and nbytes > 0:
        storage_release(account, nbytes)
