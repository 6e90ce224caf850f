"""`SouFile`: a memory-mapped, validated view of a `.sou` file.

Opening checks the whole header against the file size before anything sized by the file is
allocated (see SPEC.md, "Validation"); every violation is one `SouFormatError` naming the field
and its byte offset. Tensors load lazily: float types are zero-copy views of the map, block
types dequantize on demand, and `raw()` hands the untouched blocks to quantized kernels.

The map is copy-on-write: writing into a returned tensor changes this process's pages only,
never the file (and later reads of that tensor in this process see the change).
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np
import torch

from ml.sou.constants import (
    ALIGNMENT,
    DIM,
    ENTRY_TAIL,
    GENERATION_DEFAULTS,
    HEADER_CRC_OFFSET,
    HEADER_CRC_START,
    MAGIC,
    MAX_DIMS,
    MAX_METADATA_LENGTH,
    MAX_NAME_LENGTH,
    MAX_TENSOR_COUNT,
    MIN_ENTRY_SIZE,
    NAME_LENGTH,
    PREAMBLE,
    PREAMBLE_SIZE,
    SECTION_ARCHITECTURE,
    SECTION_GENERATION,
    SECTION_PERSONALITY,
    SECTION_PROVENANCE,
    SECTION_TOKENIZER,
    STEERING_PREFIX,
    TENSOR_TYPES,
    TYPE_AND_DIMS,
    TYPES_BY_CODE,
    VERSION_MAJOR,
    align_up,
    tensor_byte_length,
)
from ml.sou.errors import SouFormatError
from ml.sou.metadata import validate_metadata
from ml.sou.quant import dequantize


@dataclass(frozen=True)
class TensorInfo:
    """One tensor index entry, after validation."""

    name: str  # unique key
    type_name: str  # one of TENSOR_TYPES
    shape: tuple[int, ...]  # logical shape of the weights
    offset: int  # absolute byte offset of the data in the file
    length: int  # bytes of data
    crc32: int  # CRC-32 (zlib) of the data bytes
    entry_offset: int  # where this index entry starts, for error messages


class _Cursor:
    """Reads fixed-size fields from the index, never past `limit`."""

    def __init__(self, buffer, position: int, limit: int):
        self.buffer, self.position, self.limit = buffer, position, limit

    def take(self, layout: struct.Struct, field: str) -> tuple:
        return struct.unpack(layout.format, self.take_bytes(layout.size, field))

    def take_bytes(self, size: int, field: str) -> bytes:
        if size > self.limit - self.position:
            raise SouFormatError(field, self.position, f"{size} bytes run past the end of the "
                                 f"tensor index at byte {self.limit}")
        start = self.position
        self.position += size
        return self.buffer[start:self.position]


def _parse_preamble(buffer, size: int) -> tuple[int, int, int, int, int]:
    """Checks every preamble field against the file size; returns
    (minor, metadata_length, tensor_count, data_offset, header_crc)."""
    magic, major, minor, header_crc, meta_len, count, data_offset = PREAMBLE.unpack_from(buffer)
    if magic != MAGIC:
        raise SouFormatError("magic", 0, f"expected {MAGIC!r}, found {magic!r}: not a .sou file")
    if major != VERSION_MAJOR:
        raise SouFormatError("version_major", 8, f"file is .sou version {major}.{minor}; this "
                             f"reader understands version {VERSION_MAJOR}.x only")
    if meta_len > MAX_METADATA_LENGTH:
        raise SouFormatError("metadata_length", 16, f"{meta_len} bytes exceed the limit of "
                             f"{MAX_METADATA_LENGTH}")
    if meta_len > size - PREAMBLE_SIZE:
        raise SouFormatError("metadata_length", 16, f"{meta_len} bytes of metadata run past the "
                             f"end of the {size}-byte file")
    index_start = PREAMBLE_SIZE + meta_len
    if count > MAX_TENSOR_COUNT or count * MIN_ENTRY_SIZE > size - index_start:
        raise SouFormatError("tensor_count", 20, f"{count} tensors cannot fit in the "
                             f"{size - index_start} bytes after the metadata")
    if data_offset % ALIGNMENT:
        raise SouFormatError("data_offset", 24, f"{data_offset} is not a multiple of {ALIGNMENT}")
    if not index_start + count * MIN_ENTRY_SIZE <= data_offset <= size:
        raise SouFormatError("data_offset", 24, f"{data_offset} is outside the file (size "
                             f"{size}) or inside the header")
    return minor, meta_len, count, data_offset, header_crc


def _parse_metadata(buffer, meta_len: int) -> dict:
    raw = bytes(buffer[PREAMBLE_SIZE:PREAMBLE_SIZE + meta_len])
    try:
        metadata = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise SouFormatError("metadata", PREAMBLE_SIZE, f"not UTF-8 JSON: {exc}") from None
    validate_metadata(metadata, PREAMBLE_SIZE)
    return metadata


def _parse_entry(cursor: _Cursor, i: int, data_offset: int, size: int) -> TensorInfo:
    entry_offset = cursor.position
    (name_len,) = cursor.take(NAME_LENGTH, f"tensor[{i}].name_length")
    if not 1 <= name_len <= MAX_NAME_LENGTH:
        raise SouFormatError(f"tensor[{i}].name_length", entry_offset,
                             f"{name_len} is outside 1..{MAX_NAME_LENGTH}")
    name_at = cursor.position
    try:
        name = cursor.take_bytes(name_len, f"tensor[{i}].name").decode("utf-8")
    except UnicodeDecodeError:
        raise SouFormatError(f"tensor[{i}].name", name_at, "is not UTF-8") from None
    field = f"tensor[{i}] ({name!r})"
    type_at = cursor.position
    code, n_dims = cursor.take(TYPE_AND_DIMS, f"{field}.type")
    if code not in TYPES_BY_CODE:
        raise SouFormatError(f"{field}.type", type_at, f"unknown tensor type code {code}")
    type_name = TYPES_BY_CODE[code].name
    if n_dims > MAX_DIMS:
        raise SouFormatError(f"{field}.n_dims", type_at + 4, f"{n_dims} exceeds {MAX_DIMS}")
    dims_at = cursor.position
    shape = tuple(cursor.take(DIM, f"{field}.dims[{k}]")[0] for k in range(n_dims))
    tail_at = cursor.position
    offset, length, crc = cursor.take(ENTRY_TAIL, f"{field}.offset")
    for k, dim in enumerate(shape):
        if dim < 1:
            raise SouFormatError(f"{field}.dims[{k}]", dims_at + 8 * k, "must be >= 1")
    block = TENSOR_TYPES[type_name].block_size
    if block > 1 and (not shape or shape[-1] % block):
        raise SouFormatError(f"{field}.dims", dims_at, f"{type_name} needs a last dimension "
                             f"that is a multiple of {block}, shape is {shape}")
    expected = tensor_byte_length(type_name, shape)
    if length != expected:
        raise SouFormatError(f"{field}.length", tail_at + 8, f"{type_name} {shape} takes "
                             f"{expected} bytes, index says {length}")
    if offset % ALIGNMENT:
        raise SouFormatError(f"{field}.offset", tail_at, f"{offset} is not a multiple of "
                             f"{ALIGNMENT}")
    room = size - data_offset  # compared piecewise so no sum can overflow in a 64-bit reader
    if offset > room or length > room - offset:
        raise SouFormatError(f"{field}.offset", tail_at, f"data [{offset}, {offset}+{length}) "
                             f"runs past the end of the file ({room} data bytes)")
    return TensorInfo(name, type_name, shape, data_offset + offset, length, crc, entry_offset)


def _check_layout(infos: list[TensorInfo], data_offset: int, size: int) -> None:
    """Tensors may not overlap, and the file ends where the last tensor ends."""
    end = data_offset
    previous = None
    for info in sorted(infos, key=lambda t: t.offset):
        if info.offset < end:
            raise SouFormatError(f"tensor {info.name!r}.offset", info.entry_offset,
                                 f"data at byte {info.offset} overlaps tensor "
                                 f"{previous.name!r} (ends at byte {end})")
        end = info.offset + info.length
        previous = info
    if end != size:
        raise SouFormatError("file_size", end, f"{size - end} unexpected bytes after the last "
                             "tensor's data")


class SouFile:
    """An open `.sou` file. Use as a context manager or call `close()`."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        with open(self.path, "rb") as handle:
            self.file_size = os.fstat(handle.fileno()).st_size
            if self.file_size < PREAMBLE_SIZE:
                raise SouFormatError("preamble", 0, f"the file is {self.file_size} bytes; a .sou "
                                     f"file starts with a {PREAMBLE_SIZE}-byte preamble",
                                     path=str(self.path))
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_COPY)
        try:
            self._parse()
        except SouFormatError as exc:
            self.close()
            raise exc.with_path(str(self.path)) from None

    def _parse(self) -> None:
        size = self.file_size
        minor, meta_len, count, data_offset, header_crc = _parse_preamble(self._map, size)
        actual = zlib.crc32(self._map[HEADER_CRC_START:data_offset])
        if actual != header_crc:
            raise SouFormatError("header_crc32", HEADER_CRC_OFFSET, f"stored {header_crc:#010x}, "
                                 f"header bytes hash to {actual:#010x}: the header is corrupt")
        self.version = (VERSION_MAJOR, minor)
        self.metadata = _parse_metadata(self._map, meta_len)
        cursor = _Cursor(self._map, PREAMBLE_SIZE + meta_len, data_offset)
        infos: dict[str, TensorInfo] = {}
        for i in range(count):
            info = _parse_entry(cursor, i, data_offset, size)
            if info.name in infos:
                raise SouFormatError(f"tensor[{i}].name", info.entry_offset + NAME_LENGTH.size,
                                     f"duplicate tensor name {info.name!r}")
            infos[info.name] = info
        if align_up(cursor.position) != data_offset:
            raise SouFormatError("data_offset", 24, f"{data_offset} should be "
                                 f"{align_up(cursor.position)}: the tensor index ends at byte "
                                 f"{cursor.position}")
        _check_layout(list(infos.values()), data_offset, size)
        self._infos = infos

    # -- metadata sections ---------------------------------------------------------------
    @property
    def config(self) -> dict:
        return self.metadata[SECTION_ARCHITECTURE]

    @property
    def tokenizer_json(self) -> str | None:
        return self.metadata.get(SECTION_TOKENIZER, {}).get("hf_json")

    @property
    def chat_template(self) -> str | None:
        return self.metadata.get(SECTION_TOKENIZER, {}).get("chat_template")

    @property
    def generation(self) -> dict:
        """Stored sampling defaults over the format's defaults for keys the file leaves out."""
        return {**GENERATION_DEFAULTS, **self.metadata.get(SECTION_GENERATION, {})}

    @property
    def personality(self) -> dict | None:
        return self.metadata.get(SECTION_PERSONALITY)

    @property
    def provenance(self) -> dict:
        return self.metadata.get(SECTION_PROVENANCE, {})

    # -- tensors -------------------------------------------------------------------------
    @property
    def tensor_infos(self) -> list[TensorInfo]:
        return list(self._infos.values())

    def info(self, name: str) -> TensorInfo:
        if name not in self._infos:
            raise KeyError(f"{self.path}: no tensor named {name!r}")
        return self._infos[name]

    def raw(self, name: str) -> tuple[str, tuple[int, ...], np.ndarray]:
        """(type name, shape, the tensor's bytes as a flat uint8 array viewing the map)."""
        info = self.info(name)
        data = np.frombuffer(self._map, dtype=np.uint8, count=info.length, offset=info.offset)
        return info.type_name, info.shape, data

    def tensor(self, name: str, dtype: torch.dtype | None = None) -> torch.Tensor:
        """The weights as floats: F32/F16/BF16 in their own dtype without a copy, block types
        dequantized to float32; `dtype` converts."""
        type_name, shape, data = self.raw(name)
        weights = dequantize(torch.from_numpy(data), type_name, shape)
        return weights if dtype is None else weights.to(dtype)

    def steering_vectors(self) -> dict[int, torch.Tensor]:
        """Personality steering vectors by layer, from tensors `personality.steering.<layer>`."""
        return {int(name[len(STEERING_PREFIX):]): self.tensor(name) for name in self._infos
                if name.startswith(STEERING_PREFIX) and name[len(STEERING_PREFIX):].isdigit()}

    def checksum_problems(self) -> list[str]:
        """One line per tensor whose bytes no longer match their CRC-32."""
        problems = []
        for info in self._infos.values():
            actual = zlib.crc32(np.frombuffer(self._map, np.uint8, info.length, info.offset))
            if actual != info.crc32:
                problems.append(f"{self.path}: tensor {info.name!r} at byte {info.offset}: "
                                f"checksum {actual:#010x} does not match stored "
                                f"{info.crc32:#010x}")
        return problems

    # -- lifetime ------------------------------------------------------------------------
    def close(self) -> None:
        try:
            self._map.close()
        except BufferError:
            pass  # tensors still view the map; it is unmapped when the last one is freed

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
