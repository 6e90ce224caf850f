"""Where registry files live: MEDIA_ROOT/registry/<owner>/<version>/, built only from ids and
checked to stay under the owner's root. `model.sou` is the canonical full-precision file;
`exports/<TYPE>.sou` are its quantized exports (`<TYPE>.gguf` for llama.cpp); `source/` keeps
what was uploaded."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


class RegistryStorageError(Exception):
    pass


def owner_root(owner_id: int) -> Path:
    return (Path(settings.MEDIA_ROOT) / "registry" / str(int(owner_id))).resolve()


def version_dir(owner_id: int, version_id: int) -> Path:
    root = owner_root(owner_id)
    path = (root / str(int(version_id))).resolve()
    if root not in path.parents:
        raise RegistryStorageError("refusing a path outside the owner's storage")
    return path


def canonical_sou(owner_id: int, version_id: int) -> Path:
    return version_dir(owner_id, version_id) / "model.sou"


def export_sou(owner_id: int, version_id: int, qtype: str) -> Path:
    return export_file(owner_id, version_id, qtype, "sou")


def export_file(owner_id: int, version_id: int, qtype: str, fmt: str) -> Path:
    """`exports/<TYPE>.<format>`: a `.sou` export, or a `.gguf` one."""
    if not qtype.replace("_", "").isalnum():
        raise RegistryStorageError(f"not a quantization type: {qtype!r}")
    if fmt not in ("sou", "gguf"):
        raise RegistryStorageError(f"not an export format: {fmt!r}")
    return version_dir(owner_id, version_id) / "exports" / f"{qtype}.{fmt}"


def source_dir(owner_id: int, version_id: int) -> Path:
    return version_dir(owner_id, version_id) / "source"
