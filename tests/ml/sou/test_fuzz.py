"""Property: whatever happens to a `.sou` file's bytes (flips, edited offsets and lengths,
truncation), opening and reading it either works or raises SouFormatError, and never makes
Python allocate much more than the file's size."""

import atexit
import shutil
import struct
import tempfile
import tracemalloc
import zlib
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml.sou import SouFormatError, read_sou
from ml.sou.constants import HEADER_CRC_START
from tests.ml.sou.factories import write_tiny

WORKDIR = Path(tempfile.mkdtemp(prefix="sou-fuzz-"))  # hypothesis reruns outlive tmp_path
atexit.register(shutil.rmtree, WORKDIR, ignore_errors=True)
FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


@cache
def base_file() -> bytes:
    """A small file holding every type (Q8_0 matrices, F16 kept head and odd matrix, F32 norms)."""
    path = write_tiny(WORKDIR / "base.sou", "Q8_0", tokenizer_json='{"v": 1}')
    with read_sou(path) as sou:  # warm up lazily-initialised code outside the measurement
        for info in sou.tensor_infos:
            sou.tensor(info.name)
    return path.read_bytes()


@cache
def structural_fields() -> list[tuple[int, int]]:
    """(offset, size) of every preamble field and every index entry field of the base file."""
    data = base_file()
    fields = [(8, 2), (10, 2), (16, 4), (20, 4), (24, 8)]
    meta_len, count = struct.unpack_from("<II", data, 16)
    pos = 32 + meta_len
    for _ in range(count):
        (name_len,) = struct.unpack_from("<H", data, pos)
        fields.append((pos, 2))
        pos += 2 + name_len
        n_dims = struct.unpack_from("<I", data, pos + 4)[0]
        fields += [(pos, 4), (pos + 4, 4)] + [(pos + 8 + 8 * k, 8) for k in range(n_dims)]
        pos += 8 + 8 * n_dims
        fields += [(pos, 8), (pos + 8, 8), (pos + 16, 4)]
        pos += 20
    return fields


def reseal(data: bytearray) -> None:
    """Recompute header_crc32 so edits reach the checks behind it."""
    (data_offset,) = struct.unpack_from("<Q", data, 24)
    if data_offset <= len(data):
        struct.pack_into("<I", data, 12, zlib.crc32(data[HEADER_CRC_START:data_offset]))


def open_and_read_everything(data: bytes) -> int:
    """Peak bytes Python allocated while opening the file and reading every tensor."""
    path = WORKDIR / "mutated.sou"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        with read_sou(path) as sou:
            for info in sou.tensor_infos:
                sou.tensor(info.name).sum()
                sou.raw(info.name)
            sou.checksum_problems()
            sou.steering_vectors()
    except SouFormatError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def assert_bounded(data: bytes) -> None:
    assert open_and_read_everything(data) <= 2 * len(data) + (1 << 20)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 10**9), st.integers(1, 255)), min_size=1, max_size=8),
       st.booleans())
def test_random_byte_flips_only_raise_format_errors(flips, resealed):
    # given
    data = bytearray(base_file())
    for position, mask in flips:
        data[position % len(data)] ^= mask
    if resealed:
        reseal(data)
    # when / then
    assert_bounded(bytes(data))


@FUZZ
@given(st.integers(0, 10**6), st.one_of(
    st.integers(0, 2**64 - 1), st.integers(-130, 130), st.sampled_from([0, 1, 63, 64, 65])),
    st.booleans())
def test_edited_counts_offsets_and_lengths_only_raise_format_errors(choice, value, relative):
    # given
    data = bytearray(base_file())
    offset, size = structural_fields()[choice % len(structural_fields())]
    fmt = {2: "<H", 4: "<I", 8: "<Q"}[size]
    if relative:
        value = struct.unpack_from(fmt, data, offset)[0] + value
    struct.pack_into(fmt, data, offset, value % (1 << (8 * size)))
    reseal(data)
    # when / then
    assert_bounded(bytes(data))


@FUZZ
@given(st.integers(0, 10**6))
def test_truncated_files_only_raise_format_errors(cut):
    # given
    data = base_file()
    # when / then
    assert_bounded(data[: cut % len(data)])
