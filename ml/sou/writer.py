"""`SouWriter`: writes a `.sou` file as a state machine, EMPTY -> HEADER -> TENSORS -> DONE.

The header (metadata and tensor index) goes first with its checksums zeroed; tensors stream
in index order, one at a time, so a model never has to sit in memory twice; `finish()` patches
the checksums and renames the `.partial` file into place, so a crash never leaves a file that
looks complete.
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass
from enum import Enum, auto
from pathlib import Path
from typing import Self

from ml.sou.constants import (
    DIM,
    ENTRY_TAIL,
    HEADER_CRC_START,
    MAGIC,
    MAX_DIMS,
    MAX_METADATA_LENGTH,
    MAX_NAME_LENGTH,
    MAX_TENSOR_COUNT,
    NAME_LENGTH,
    PREAMBLE,
    PREAMBLE_SIZE,
    TENSOR_TYPES,
    TYPE_AND_DIMS,
    VERSION_MAJOR,
    VERSION_MINOR,
    align_up,
    tensor_byte_length,
)
from ml.sou.errors import SouWriterStateError
from ml.sou.metadata import validate_metadata


class WriterState(Enum):
    EMPTY = auto()  # nothing written yet
    HEADER = auto()  # metadata and index written, no tensor yet
    TENSORS = auto()  # some tensors written
    DONE = auto()  # file complete and in place (or aborted)


@dataclass(frozen=True)
class TensorSpec:
    """A tensor announced in the header before its bytes are written."""

    name: str  # unique key in the file
    type_name: str  # one of TENSOR_TYPES
    shape: tuple[int, ...]  # logical shape of the weights (not of the bytes)


def encode_metadata(metadata: dict) -> bytes:
    """Compact, strict JSON (no NaN): every JSON parser in every language can read it."""
    try:
        text = json.dumps(metadata, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"metadata is not plain JSON: {exc}") from exc
    return text.encode("utf-8")


def _layout(specs: list[TensorSpec]) -> list[tuple[int, int]]:
    """(offset relative to data_offset, length) per tensor, each offset aligned."""
    if len(specs) > MAX_TENSOR_COUNT:
        raise ValueError(f"{len(specs)} tensors exceed the limit of {MAX_TENSOR_COUNT}")
    seen: set[str] = set()
    placed, cursor = [], 0
    for spec in specs:
        encoded = spec.name.encode("utf-8")
        if not 1 <= len(encoded) <= MAX_NAME_LENGTH:
            raise ValueError(f"tensor name {spec.name!r} must be 1..{MAX_NAME_LENGTH} bytes")
        if spec.name in seen:
            raise ValueError(f"duplicate tensor name {spec.name!r}")
        seen.add(spec.name)
        if spec.type_name not in TENSOR_TYPES:
            raise ValueError(f"tensor {spec.name!r}: unknown type {spec.type_name!r}")
        if len(spec.shape) > MAX_DIMS or any(int(d) < 1 for d in spec.shape):
            raise ValueError(f"tensor {spec.name!r}: shape {spec.shape} needs 0..{MAX_DIMS} "
                             "dimensions, each >= 1")
        length = tensor_byte_length(spec.type_name, spec.shape)
        offset = align_up(cursor)
        placed.append((offset, length))
        cursor = offset + length
    return placed


def _index_bytes(specs: list[TensorSpec], placed, crcs: list[int]) -> bytes:
    parts = []
    for spec, (offset, length), crc in zip(specs, placed, crcs):
        name = spec.name.encode("utf-8")
        parts.append(NAME_LENGTH.pack(len(name)) + name)
        parts.append(TYPE_AND_DIMS.pack(TENSOR_TYPES[spec.type_name].code, len(spec.shape)))
        parts.extend(DIM.pack(int(d)) for d in spec.shape)
        parts.append(ENTRY_TAIL.pack(offset, length, crc))
    return b"".join(parts)


class SouWriter:
    """Write one `.sou` file: `write_header`, `write_tensor` for each tensor in order, `finish`.

    Used as a context manager, an exception (or a missing `finish`) removes the partial file.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.state = WriterState.EMPTY
        self._partial = self.path.with_name(self.path.name + ".partial")
        self._file = None
        self._specs: list[TensorSpec] = []
        self._placed: list[tuple[int, int]] = []
        self._crcs: list[int] = []
        self._written = 0  # tensors written so far, in index order
        self._metadata = b""
        self._data_offset = 0

    def _require(self, *states: WriterState, action: str) -> None:
        if self.state not in states:
            allowed = " or ".join(s.name for s in states)
            raise SouWriterStateError(f"cannot {action} in state {self.state.name} "
                                      f"(allowed in {allowed})")

    def write_header(self, metadata: dict, specs: list[TensorSpec]) -> None:
        self._require(WriterState.EMPTY, action="write the header")
        validate_metadata(metadata, PREAMBLE_SIZE)
        self._metadata = encode_metadata(metadata)
        if len(self._metadata) > MAX_METADATA_LENGTH:
            raise ValueError(f"metadata is {len(self._metadata)} bytes; the limit is "
                             f"{MAX_METADATA_LENGTH}")
        self._specs = [TensorSpec(s.name, s.type_name, tuple(int(d) for d in s.shape))
                       for s in specs]
        self._placed = _layout(self._specs)
        self._crcs = [0] * len(self._specs)
        header = self._header_bytes()
        # Held open across write_tensor calls; finish() or abort() closes it.
        self._file = open(self._partial, "wb")  # noqa: SIM115
        self._file.write(header)
        self.state = WriterState.HEADER

    def _header_bytes(self) -> bytes:
        index = _index_bytes(self._specs, self._placed, self._crcs)
        self._data_offset = align_up(PREAMBLE_SIZE + len(self._metadata) + len(index))
        body = self._metadata + index
        body += bytes(self._data_offset - PREAMBLE_SIZE - len(body))
        fields = (len(self._metadata), len(self._specs), self._data_offset)
        after_crc = PREAMBLE.pack(MAGIC, VERSION_MAJOR, VERSION_MINOR, 0, *fields)
        after_crc = after_crc[HEADER_CRC_START:] + body
        crc = zlib.crc32(after_crc)
        return PREAMBLE.pack(MAGIC, VERSION_MAJOR, VERSION_MINOR, crc, *fields)[
            :HEADER_CRC_START] + after_crc

    def write_tensor(self, name: str, data) -> None:
        """Write the next tensor's raw bytes (any C-contiguous buffer: numpy array, bytes)."""
        self._require(WriterState.HEADER, WriterState.TENSORS, action="write a tensor")
        written = self._written
        if written == len(self._specs):
            raise SouWriterStateError(f"tensor {name!r}: all {written} announced tensors "
                                      "are already written")
        spec = self._specs[written]
        if name != spec.name:
            raise SouWriterStateError(f"expected tensor {spec.name!r} next (index order), "
                                      f"got {name!r}")
        view = memoryview(data)
        if not view.c_contiguous:
            raise ValueError(f"tensor {name!r}: data must be C-contiguous")
        offset, length = self._placed[written]
        if view.nbytes != length:
            raise ValueError(f"tensor {name!r}: {spec.type_name} {spec.shape} needs {length} "
                             f"bytes, got {view.nbytes}")
        view = view.cast("B")
        self._file.write(bytes(self._data_offset + offset - self._file.tell()))
        self._file.write(view)
        self._crcs[written] = zlib.crc32(view)
        self._written += 1
        self.state = WriterState.TENSORS

    def finish(self) -> Path:
        """Patch the checksums in, and move the file into place. Returns its path."""
        self._require(WriterState.HEADER, WriterState.TENSORS, action="finish")
        if self._written != len(self._specs):
            missing = self._specs[self._written].name
            raise SouWriterStateError(f"{len(self._specs) - self._written} announced tensors "
                                      f"not written yet (next: {missing!r})")
        self._file.seek(0)
        self._file.write(self._header_bytes())
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._partial, self.path)
        self.state = WriterState.DONE
        return self.path

    def abort(self) -> None:
        """Drop the partial file; the writer cannot be used afterwards."""
        if self._file is not None:
            self._file.close()
            self._partial.unlink(missing_ok=True)
        self.state = WriterState.DONE

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.state is WriterState.DONE:
            return
        self.abort()
        if exc_type is None:
            raise SouWriterStateError(f"{self.path}: writer closed before finish(); "
                                      "the partial file was removed")
