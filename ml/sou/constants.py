"""Every number the `.sou` byte layout depends on (see SPEC.md): magic, version, limits,
tensor types and their block geometry, and the metadata section names."""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = b"\x89SOU\r\n\x1a\n"  # PNG-style: the high byte and CR/LF catch text-mode mangling
VERSION_MAJOR = 1  # a layout change bumps this; readers refuse other majors
VERSION_MINOR = 1  # additive changes only; readers accept any minor of their major
# 1.1: the K-quant tensor types (codes 10-14)

# Fixed-size preamble at byte 0 (little-endian):
# magic[8], major u16, minor u16, header_crc32 u32, metadata_length u32, tensor_count u32,
# data_offset u64.
PREAMBLE = struct.Struct("<8sHHIIIQ")
PREAMBLE_SIZE = PREAMBLE.size  # 32
HEADER_CRC_OFFSET = 12  # where header_crc32 sits; it covers bytes [16, data_offset)
HEADER_CRC_START = 16

ALIGNMENT = 64  # data_offset and every tensor offset are multiples of this (cache lines, SIMD)

MAX_METADATA_LENGTH = 64 * 1024 * 1024  # room for a large HF tokenizer.json, bounded for parsers
MAX_TENSOR_COUNT = 1 << 20
MAX_NAME_LENGTH = 1024  # bytes of UTF-8
MAX_DIMS = 8

# Tensor index entry (little-endian): name_length u16, name, type u32, n_dims u32,
# dims u64[n_dims], offset u64, length u64, crc32 u32.
NAME_LENGTH = struct.Struct("<H")
TYPE_AND_DIMS = struct.Struct("<II")
DIM = struct.Struct("<Q")
ENTRY_TAIL = struct.Struct("<QQI")
MIN_ENTRY_SIZE = NAME_LENGTH.size + 1 + TYPE_AND_DIMS.size + ENTRY_TAIL.size  # 31

STEERING_PREFIX = "personality.steering."  # tensor "personality.steering.<layer>": (n_embd,)

# Top-level keys of the metadata JSON object.
SECTION_ARCHITECTURE = "architecture"
SECTION_TOKENIZER = "tokenizer"
SECTION_GENERATION = "generation"
SECTION_PERSONALITY = "personality"
SECTION_PROVENANCE = "provenance"

GENERATION_DEFAULTS: dict = {
    "temperature": 0.7,
    "top_k": 40,
    "top_p": 0.95,
    "min_p": 0.05,
    "repetition_penalty": 1.1,
    "max_tokens": 256,
    "stop": [],
}


@dataclass(frozen=True)
class TensorType:
    """How one tensor type lays out its weights."""

    name: str  # as written in metadata, reports and on the command line
    code: int  # the u32 stored in the tensor index; ggml's numbering, so tools map 1:1
    block_size: int  # weights per block along the last dimension (1 for plain floats)
    type_size: int  # bytes per block
    bits_rank: float  # bits per weight; orders types by precision when requantizing


TENSOR_TYPES: dict[str, TensorType] = {
    t.name: t
    for t in (
        TensorType("F32", 0, 1, 4, 32.0),
        TensorType("F16", 1, 1, 2, 16.0),
        TensorType("Q4_0", 2, 32, 18, 4.5),  # f16 scale, 16 bytes of nibbles
        TensorType("Q4_1", 3, 32, 20, 5.0),  # f16 scale, f16 min, 16 bytes of nibbles
        TensorType("Q8_0", 8, 32, 34, 8.5),  # f16 scale, 32 int8
        # K-quants: super-blocks of 256 with packed sub-block scales (layouts in kquant.py).
        TensorType("Q2_K", 10, 256, 84, 2.625),
        TensorType("Q3_K", 11, 256, 110, 3.4375),
        TensorType("Q4_K", 12, 256, 144, 4.5),
        TensorType("Q5_K", 13, 256, 176, 5.5),
        TensorType("Q6_K", 14, 256, 210, 6.5625),
        TensorType("BF16", 30, 1, 2, 16.0),
    )
}
TYPES_BY_CODE: dict[int, TensorType] = {t.code: t for t in TENSOR_TYPES.values()}
FLOAT_TYPES = ("F32", "F16", "BF16")
K_TYPES = ("Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K")
BLOCK_TYPES = ("Q8_0", "Q4_0", "Q4_1", *K_TYPES)


def align_up(value: int, alignment: int = ALIGNMENT) -> int:
    return (value + alignment - 1) // alignment * alignment


def tensor_byte_length(type_name: str, shape: tuple[int, ...]) -> int:
    """Bytes a tensor of this type and shape occupies; block types need rows that fill blocks."""
    ttype = TENSOR_TYPES[type_name]
    count = 1
    for dim in shape:
        count *= dim
    if ttype.block_size > 1 and (not shape or shape[-1] % ttype.block_size):
        raise ValueError(
            f"{type_name} needs a last dimension that is a multiple of {ttype.block_size}, "
            f"got shape {tuple(shape)}"
        )
    return count // ttype.block_size * ttype.type_size
