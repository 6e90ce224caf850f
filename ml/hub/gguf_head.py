"""`general.architecture` and the weight count from the first bytes of a GGUF file, so a
repo's architecture and the size of its F32 import are judged before its weights are
downloaded. Reads key/value pairs (and then tensor infos) in order, checking every length
against the bytes it has; the architecture stops at its key (writers put it first)."""

from __future__ import annotations

import struct

from ml.hub.errors import HubError

MAGIC = b"GGUF"
# Value type -> size in bytes of the fixed-size GGUF scalar types.
SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
STRING, ARRAY = 8, 9
MAX_KEY_BYTES = 65535
MAX_DIMS = 4  # GGML_MAX_DIMS


class _Short(Exception):
    """The prefix ended before the key was found: a longer prefix is needed."""


def _take(data: bytes, offset: int, size: int) -> int:
    if size < 0 or offset + size > len(data):
        raise _Short
    return offset + size


def _u32(data: bytes, offset: int) -> tuple[int, int]:
    end = _take(data, offset, 4)
    return struct.unpack_from("<I", data, offset)[0], end


def _u64(data: bytes, offset: int) -> tuple[int, int]:
    end = _take(data, offset, 8)
    return struct.unpack_from("<Q", data, offset)[0], end


def _skip_value(data: bytes, offset: int, kind: int, name: str) -> int:
    if kind in SCALAR_SIZES:
        return _take(data, offset, SCALAR_SIZES[kind])
    if kind == STRING:
        length, offset = _u64(data, offset)
        return _take(data, offset, length)
    if kind == ARRAY:
        item, offset = _u32(data, offset)
        count, offset = _u64(data, offset)
        if item in SCALAR_SIZES:
            return _take(data, offset, SCALAR_SIZES[item] * count)
        if item != STRING:
            raise HubError(f"{name}: unexpected array type {item} in the GGUF header", "invalid")
        for _ in range(count):
            offset = _skip_value(data, offset, STRING, name)
        return offset
    raise HubError(f"{name}: unknown GGUF value type {kind} in the header", "invalid")


def _start(head: bytes, name: str) -> tuple[int, int, int]:
    """(tensor count, key/value count, offset of the first key) after checking magic and version."""
    if head[:4] != MAGIC:
        raise HubError(f"{name} is not a GGUF file", "invalid")
    version, offset = _u32(head, 4)
    if version < 2:
        raise HubError(f"{name}: GGUF version {version} is too old", "invalid")
    tensors, offset = _u64(head, offset)
    count, offset = _u64(head, offset)
    return tensors, count, offset


def _key(head: bytes, offset: int, name: str) -> tuple[str, int, int]:
    """(key, value type, offset of the value)."""
    length, offset = _u64(head, offset)
    if length > MAX_KEY_BYTES:
        raise HubError(f"{name}: a GGUF key is {length} bytes long", "invalid")
    start, offset = offset, _take(head, offset, length)
    kind, offset = _u32(head, offset)
    return head[start:offset - 4].decode("utf-8", errors="replace"), kind, offset


def gguf_architecture(head: bytes, *, name: str) -> str | None:
    """The architecture named in `head` (a prefix of the file): None when the prefix ends
    first, "" when the header has none; HubError when it is not a GGUF file."""
    try:
        _tensors, count, offset = _start(head, name)
        for _ in range(count):
            key, kind, offset = _key(head, offset, name)
            if key == "general.architecture" and kind == STRING:
                size, offset = _u64(head, offset)
                end = _take(head, offset, size)
                return head[offset:end].decode("utf-8", errors="replace")
            offset = _skip_value(head, offset, kind, name)
    except _Short:
        return None
    return ""


def gguf_weight_count(head: bytes, *, name: str) -> int | None:
    """How many weights the file's tensor infos list (its F32 import holds four bytes each):
    None when `head` ends before the last tensor info; HubError when the header is malformed."""
    try:
        tensors, count, offset = _start(head, name)
        for _ in range(count):
            _key_name, kind, offset = _key(head, offset, name)
            offset = _skip_value(head, offset, kind, name)
        total = 0
        for _ in range(tensors):  # name, n_dims, dims, type, data offset
            length, offset = _u64(head, offset)
            offset = _take(head, offset, length)
            dims, offset = _u32(head, offset)
            if dims > MAX_DIMS:
                raise HubError(f"{name}: a GGUF tensor has {dims} dimensions", "invalid")
            weights = 1
            for _ in range(dims):
                size, offset = _u64(head, offset)
                weights *= size
            total += weights
            offset = _take(head, offset, 4 + 8)
    except _Short:
        return None
    return total
