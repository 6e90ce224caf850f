"""verify, memory_estimate and quantize_file as a user of the library sees them."""

import pytest
import torch

from ml.sou import QuantPolicy, memory_estimate, quantize_file, read_sou, verify, write_sou
from tests.ml.sou.factories import TINY_CONFIG, tiny_tensors, write_tiny


def test_verify_passes_an_intact_file(tmp_path):
    assert verify(write_tiny(tmp_path / "m.sou", "Q4_0")) == []


def test_verify_names_the_tensor_whose_bytes_changed(tmp_path):
    # given
    path = write_tiny(tmp_path / "m.sou", "Q8_0")
    with read_sou(path) as sou:
        target = sou.info("blk.1.ffn_up.weight")
    data = bytearray(path.read_bytes())
    data[target.offset + 5] ^= 0x40
    path.write_bytes(data)
    # when
    problems = verify(path)
    # then
    assert len(problems) == 1
    assert "'blk.1.ffn_up.weight'" in problems[0] and f"at byte {target.offset}" in problems[0]


def test_verify_reports_a_broken_structure_instead_of_raising(tmp_path):
    path = tmp_path / "m.sou"
    path.write_bytes(b"not a model at all, just some text here")
    assert "magic" in verify(path)[0]


def test_memory_estimate_for_grouped_query_attention(tmp_path):
    # given: llama-style config with 2 KV heads of 64 / 4 = 16 dims over 2 layers
    with read_sou(write_tiny(tmp_path / "m.sou", "Q8_0")) as sou:
        weights = sum(info.length for info in sou.tensor_infos)
        # when
        estimate = memory_estimate(sou, context_length=1024, batch=3, kv_dtype="F16")
    # then
    assert estimate["kv_cache_bytes"] == 2 * 2 * 2 * 16 * 1024 * 3 * 2
    assert estimate["weights_bytes"] == weights
    assert estimate["total_bytes"] == weights + estimate["kv_cache_bytes"]


def test_memory_estimate_for_gpt2_uses_every_head(tmp_path):
    # given
    config = {"arch": "gpt2", "n_layer": 3, "n_head": 4, "n_embd": 128}
    path = write_sou(tmp_path / "g.sou", config=config, tensors={"w": torch.zeros(4, 32)},
                     generation={}, provenance={})
    with read_sou(path) as sou:
        # when
        estimate = memory_estimate(sou, context_length=10, batch=1, kv_dtype="F32")
    # then
    assert estimate["kv_cache_bytes"] == 2 * 3 * 4 * 32 * 10 * 1 * 4
    assert estimate["weights_bytes"] == 4 * 32 * 4


def test_memory_estimate_names_a_missing_config_key(tmp_path):
    path = write_sou(tmp_path / "g.sou", config={"arch": "x"}, tensors={}, generation={},
                     provenance={})
    with read_sou(path) as sou, pytest.raises(ValueError, match="'n_layer'"):
        memory_estimate(sou, 128)


def test_quantize_file_shrinks_the_model_and_reports_it(tmp_path):
    # given
    source = write_tiny(tmp_path / "f32.sou")
    # when
    report = quantize_file(source, tmp_path / "q4.sou", "Q4_0")
    # then
    assert report.file_bytes_after == (tmp_path / "q4.sou").stat().st_size
    assert report.file_bytes_after < report.file_bytes_before / 3
    assert set(report.bytes_by_type_after) == {"Q4_0", "Q8_0", "F16", "F32"}
    assert report.tensors_by_type_after["Q8_0"] == 1  # the output head keeps 8 bits
    assert report.tensors_by_type_after["F16"] == 1  # the odd-sized matrix
    assert report.warnings == []
    with read_sou(tmp_path / "q4.sou") as sou:
        assert sou.provenance["quantization"] == {"type": "Q4_0", "from_types": ["F32"]}
        assert sou.provenance["dataset_sha256"] == "ab" * 32  # the rest is carried over
        assert sou.personality["name"] == "Slough"
        error = (sou.tensor("blk.0.ffn_up.weight") - tiny_tensors()["blk.0.ffn_up.weight"])
        assert error.abs().max() < 0.1


def test_requantizing_to_the_same_type_copies_bytes(tmp_path):
    # given
    first = write_tiny(tmp_path / "a.sou", "Q8_0")
    # when
    quantize_file(first, tmp_path / "b.sou", "Q8_0")
    # then
    with read_sou(first) as a, read_sou(tmp_path / "b.sou") as b:
        for info in a.tensor_infos:
            assert a.raw(info.name)[2].tobytes() == b.raw(info.name)[2].tobytes()


def test_upcasting_is_refused_with_a_warning_unless_asked(tmp_path):
    # given
    source = write_tiny(tmp_path / "q4.sou", "Q4_0")
    # when
    kept = quantize_file(source, tmp_path / "kept.sou", "Q8_0")
    forced = quantize_file(source, tmp_path / "forced.sou", "Q8_0", allow_upcast=True)
    # then
    assert "Q4_0 would become Q8_0" in kept.warnings[0] and "kept as Q4_0" in kept.warnings[0]
    assert kept.bytes_by_type_after["Q4_0"] == kept.bytes_by_type_before["Q4_0"]
    assert "converted to Q8_0 anyway" in forced.warnings[0]
    assert "Q4_0" not in forced.bytes_by_type_after


def test_policy_reaches_quantize_file(tmp_path):
    source = write_tiny(tmp_path / "f32.sou")
    quantize_file(source, tmp_path / "q.sou", "Q8_0",
                  QuantPolicy(keep_embeddings=True, keep_output=False))
    with read_sou(tmp_path / "q.sou") as sou:
        assert sou.info("token_embd.weight").type_name == "F16"
        assert sou.info("output.weight").type_name == "Q8_0"
        assert sou.config == TINY_CONFIG
