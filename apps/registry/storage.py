"""Where registry files live: `registry/<owner>/<version>/` keys of the storage layer
(apps.core.storage), built only from ids and checked to stay under the owner's prefix.
`model.sou` is the canonical full-precision file; `exports/<TYPE>.sou` are its quantized
exports (`<TYPE>.gguf` for llama.cpp); `source/` keeps what was uploaded or copied from a
training run. The `*_key` functions name stored objects; the path functions name this
machine's copy of the same key (the stored file itself on the local backend, a worker's
working copy on S3)."""

from __future__ import annotations

from pathlib import Path

from apps.core import storage as core_storage

KIND = "registry"
CANONICAL = "model.sou"


class RegistryStorageError(Exception):
    pass


def owner_root(owner_id: int) -> Path:
    return core_storage.owned_path(KIND, owner_id)


def version_dir(owner_id: int, version_id: int) -> Path:
    return core_storage.owned_path(KIND, owner_id, int(version_id))


def canonical_key(owner_id: int, version_id: int) -> str:
    return core_storage.owned_key(KIND, owner_id, int(version_id), name=CANONICAL)


def canonical_sou(owner_id: int, version_id: int) -> Path:
    return core_storage.local_path(canonical_key(owner_id, version_id))


def export_sou(owner_id: int, version_id: int, qtype: str) -> Path:
    return export_file(owner_id, version_id, qtype, "sou")


def export_key(owner_id: int, version_id: int, qtype: str, fmt: str) -> str:
    """`exports/<TYPE>.<format>`: a `.sou` export, or a `.gguf` one."""
    if not qtype.replace("_", "").isalnum():
        raise RegistryStorageError(f"not a quantization type: {qtype!r}")
    if fmt not in ("sou", "gguf"):
        raise RegistryStorageError(f"not an export format: {fmt!r}")
    return core_storage.owned_key(KIND, owner_id, int(version_id), "exports", name=f"{qtype}.{fmt}")


def export_file(owner_id: int, version_id: int, qtype: str, fmt: str) -> Path:
    return core_storage.local_path(export_key(owner_id, version_id, qtype, fmt))


def source_dir(owner_id: int, version_id: int) -> Path:
    return core_storage.owned_path(KIND, owner_id, int(version_id), "source")


def canonical_fetched(version) -> Path:
    """A local path holding a ready version's canonical `.sou`: the stored file on the local
    backend, a copy in this worker's cache (checked against the version's sha256) on S3."""
    from apps.core.file_cache import fetch

    return fetch(canonical_key(version.owner_id, version.pk), version.sha256)


def canonical_pinned(version):
    """`canonical_fetched` as a context manager: the cache's copy stays (is not evicted) while
    the block reads it."""
    from apps.core.file_cache import fetched

    return fetched(canonical_key(version.owner_id, version.pk), version.sha256)
