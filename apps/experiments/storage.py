"""Where artifact bytes live: MEDIA_ROOT/artifacts/<run owner id>/<run id>/<artifact id> (the
run's owner, whoever uploaded to a shared run), built only from ids we generated and checked
to stay under the owner's root (apps.core.storage). The name a user gave
an artifact is never part of a path on disk."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from pathlib import Path

from django.core.exceptions import ValidationError

from apps.core.storage import owned_path


def owner_root(owner_id: int) -> Path:
    return owned_path("artifacts", owner_id)


def run_dir(owner_id: int, run_id: int) -> Path:
    return owned_path("artifacts", owner_id, run_id)


def artifact_file(owner_id: int, run_id: int, artifact_id: int) -> Path:
    return owned_path("artifacts", owner_id, run_id, int(artifact_id))


def receive(
    chunks: Iterable[bytes], *, owner_id: int, run_id: int, limit: int
) -> tuple[Path, int, str]:
    """Writes `chunks` to a temporary file in the run's folder, hashing as it goes; returns
    (temporary path, size, sha256). The caller moves it into place or deletes it."""
    directory = run_dir(owner_id, run_id)
    directory.mkdir(parents=True, exist_ok=True)
    temp = directory / f".upload-{uuid.uuid4().hex}"  # in a folder owned_path checked
    digest = hashlib.sha256()
    size = 0
    try:
        with temp.open("wb") as sink:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise ValidationError(
                        {"file": [f"The file is larger than the {limit}-byte limit."]}
                    )
                digest.update(chunk)
                sink.write(chunk)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp, size, digest.hexdigest()
