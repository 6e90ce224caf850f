"""Where uploaded documents live: the `documents/<owner id>/<document id>.<format>` key of
the storage layer (apps.core.storage), built only from ids and formats we chose and checked
to stay under the owner's prefix; uploads are copied to this machine's copy of the key in
chunks with a running size cap (their text is extracted there), then kept by the backend."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException

from apps.core import storage as core_storage
from apps.core.storage import owned_path

DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class UploadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "file_too_large"


def max_upload_bytes() -> int:
    # Read on every call so deployments (and tests) can set RAG_MAX_UPLOAD_BYTES.
    return int(getattr(settings, "RAG_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def check_size(nbytes: int) -> None:
    limit = max_upload_bytes()
    if nbytes > limit:
        raise UploadTooLarge(f"the file is larger than the {limit}-byte limit for documents")


def owner_root(owner_id: int) -> Path:
    return owned_path("documents", owner_id)


def document_path(*, owner_id: int, document_id: int, fmt: str) -> Path:
    return owned_path("documents", owner_id, name=f"{int(document_id)}.{fmt}")


@dataclass(frozen=True)
class StoredFile:
    size_bytes: int
    sha256: str


def store_upload(uploaded, destination: Path) -> StoredFile:
    """Copies an uploaded file to `destination` chunk by chunk, never holding it in memory;
    stops with UploadTooLarge as soon as the cap is passed, leaving nothing behind."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    written = 0
    # "x": never write through a file (or link) that is already there.
    sink = destination.open("xb")
    try:
        with sink:
            for block in uploaded.chunks():
                written += len(block)
                check_size(written)
                digest.update(block)
                sink.write(block)
    except BaseException:
        destination.unlink(missing_ok=True)
        raise
    return StoredFile(size_bytes=written, sha256=digest.hexdigest())


def remove_file(path: Path) -> None:
    core_storage.remove_remote(path)
    path.unlink(missing_ok=True)
