"""Each rule of the spec's validation, broken on purpose in a hand-built file, is refused with
SouFormatError naming the field and its byte offset."""

import struct
import zlib

import pytest

from ml.sou import SouFormatError, read_sou
from ml.sou.constants import MAX_METADATA_LENGTH
from tests.ml.sou.factories import build_sou, entry, write_tiny

F32, Q8_0 = 0, 8
DATA_16 = bytes(16)


def open_bytes(tmp_path, data: bytes):
    path = tmp_path / "bad.sou"
    path.write_bytes(data)
    return read_sou(path)


def refused(tmp_path, data: bytes) -> SouFormatError:
    with pytest.raises(SouFormatError) as info:
        open_bytes(tmp_path, data)
    error = info.value
    assert error.field in str(error) and f"at byte {error.offset}" in str(error)
    assert "bad.sou" in str(error)
    return error


def test_the_builder_makes_valid_files(tmp_path):
    # given a file the builder assembles without planting a fault
    data = build_sou(entries=[entry(crc=zlib.crc32(DATA_16))], data=DATA_16)
    # when / then
    with open_bytes(tmp_path, data) as sou:
        assert sou.tensor("w").tolist() == [[0.0, 0.0], [0.0, 0.0]]


HEADER_CASES = [
    (b"", "preamble", 0),
    (b"\x89SOU\r\n\x1a\n" + bytes(10), "preamble", 0),
    (build_sou(magic=b"GGUF\x03\x00\x00\x00"), "magic", 0),
    (build_sou(major=2), "version_major", 8),
    (build_sou(metadata_length=MAX_METADATA_LENGTH + 1), "metadata_length", 16),
    (build_sou(metadata_length=10_000), "metadata_length", 16),
    (build_sou(tensor_count=2**32 - 1), "tensor_count", 20),
    (build_sou(tensor_count=3), "tensor_count", 20),
    (build_sou(data_offset=100), "data_offset", 24),
    (build_sou(data_offset=2**64 - 64), "data_offset", 24),
    (build_sou(data_offset=0), "data_offset", 24),
    (build_sou(header_crc=1), "header_crc32", 12),
    (build_sou(metadata=b"{not json"), "metadata", 32),
    (build_sou(metadata=b'"\xff\xfe"'), "metadata", 32),
    (build_sou(metadata=b"[" * 100_000), "metadata", 32),
    (build_sou(metadata=b"[1, 2]"), "metadata", 32),
    (build_sou(metadata={"generation": {}}), "metadata.architecture", 32),
    (build_sou(metadata={"architecture": {"arch": 7}}), "metadata.architecture.arch", 32),
    (build_sou(metadata={"architecture": {"arch": "x"}, "generation": {"top_k": -1}}),
     "metadata.generation.top_k", 32),
    (build_sou(metadata={"architecture": {"arch": "x"}, "tokenizer": {"hf_json": 3}}),
     "metadata.tokenizer.hf_json", 32),
    (build_sou(metadata={"architecture": {"arch": "x"}, "personality": []}),
     "metadata.personality", 32),
    (build_sou(metadata={"architecture": {"arch": "x"}, "provenance": "me"}),
     "metadata.provenance", 32),
]


@pytest.mark.parametrize("data,field,offset", HEADER_CASES,
                         ids=[f"{case[1]}-{i}" for i, case in enumerate(HEADER_CASES)])
def test_broken_header_fields_are_refused(tmp_path, data, field, offset):
    error = refused(tmp_path, data)
    assert (error.field, error.offset) == (field, offset)


def test_a_newer_major_version_is_refused_naming_both_versions(tmp_path):
    error = refused(tmp_path, build_sou(major=2, minor=3))
    assert "version 2.3" in str(error) and "1.x" in str(error)


def test_a_newer_minor_version_is_read(tmp_path):
    with open_bytes(tmp_path, build_sou(minor=7)) as sou:
        assert sou.version == (1, 7)


# Entry offsets for the single-entry files below: the metadata is VALID_METADATA's JSON.
ENTRY_AT = 32 + len(b'{"architecture": {"arch": "gpt2"}}')


@pytest.mark.parametrize("entries,data,field,offset", [
    ([entry(name="")], DATA_16, "tensor[0].name_length", ENTRY_AT),
    ([entry(name="x" * 1025)], DATA_16, "tensor[0].name_length", ENTRY_AT),
    ([entry(name=b"\xff\xfe")], DATA_16, "tensor[0].name", ENTRY_AT + 2),
    ([entry(type_code=99)], DATA_16, "tensor[0] ('w').type", ENTRY_AT + 3),
    ([entry(dims=(1,) * 9, length=4)], DATA_16, "tensor[0] ('w').n_dims", ENTRY_AT + 7),
    ([entry(dims=(2, 0), length=0)], DATA_16, "tensor[0] ('w').dims[1]", ENTRY_AT + 19),
    ([entry(type_code=Q8_0, dims=(2, 30), length=68)], bytes(68), "tensor[0] ('w').dims",
     ENTRY_AT + 11),
    ([entry(type_code=Q8_0, dims=(), length=34)], bytes(34), "tensor[0] ('w').dims",
     ENTRY_AT + 11),
    ([entry(length=12)], DATA_16, "tensor[0] ('w').length", ENTRY_AT + 35),
    ([entry(dims=(2**40, 2**40), length=2**63)], DATA_16, "tensor[0] ('w').length",
     ENTRY_AT + 35),
    ([entry(offset=8)], bytes(24), "tensor[0] ('w').offset", ENTRY_AT + 27),
    ([entry(offset=64)], DATA_16, "tensor[0] ('w').offset", ENTRY_AT + 27),
    ([entry(offset=2**64 - 64)], DATA_16, "tensor[0] ('w').offset", ENTRY_AT + 27),
    ([entry()], DATA_16[:10], "tensor[0] ('w').offset", ENTRY_AT + 27),
    ([entry()], DATA_16 + b"junk", "file_size", None),
    ([entry(), entry()], DATA_16, "tensor[1].name", None),
    ([entry(), entry(name="v", dims=(2, 4), length=32)], bytes(32), "tensor 'v'.offset", None),
])
def test_broken_index_entries_are_refused(tmp_path, entries, data, field, offset):
    error = refused(tmp_path, build_sou(entries=entries, data=data))
    assert error.field == field
    if offset is not None:
        assert error.offset == offset


def test_overlapping_tensors_name_both(tmp_path):
    entries = [entry(), entry(name="v", dims=(2, 4), length=32)]
    error = refused(tmp_path, build_sou(entries=entries, data=bytes(32)))
    assert "overlaps tensor 'w'" in str(error)


def test_an_entry_running_past_the_index_is_refused(tmp_path):
    # given: a second entry cut off after its n_dims field (8 dims announced)
    cut = struct.pack("<H", 1) + b"v" + struct.pack("<II", F32, 8)
    data = build_sou(entries=[entry(crc=zlib.crc32(DATA_16)), cut], data=DATA_16)
    # when / then
    error = refused(tmp_path, data)
    assert error.field == "tensor[1] ('v').dims[0]"
    assert "past the end of the tensor index" in str(error)


def test_a_wrong_data_offset_after_a_valid_index_is_refused(tmp_path):
    # given: a whole extra 64-byte block between the index and the data
    natural = build_sou(entries=[entry()], data=DATA_16)
    data_offset = struct.unpack_from("<Q", natural, 24)[0]
    data = build_sou(entries=[entry()], data=DATA_16, data_offset=data_offset + 64)
    # when / then
    error = refused(tmp_path, data)
    assert error.field == "data_offset" and "should be" in str(error)


def test_a_truncated_real_file_is_refused(tmp_path):
    # given
    whole = write_tiny(tmp_path / "m.sou", "Q4_0").read_bytes()
    # when / then
    error = refused(tmp_path, whole[:-1])
    assert "runs past the end of the file" in str(error)
