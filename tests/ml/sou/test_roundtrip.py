"""What goes into a `.sou` file comes back out: weights bit for bit for every type, and every
metadata section, including keys this version does not know."""

import json

import numpy as np
import pytest
import torch

from ml.sou import QuantPolicy, read_sou, write_sou
from ml.sou.quant import dequantize, quantize
from ml.sou.writer import SouWriter, TensorSpec
from tests.ml.sou.factories import TINY_CONFIG, tiny_tensors, write_tiny

ALL_TYPES = ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1"]
MATRIX = "blk.0.attn_qkv.weight"


@pytest.mark.parametrize("qtype", ALL_TYPES)
def test_every_type_round_trips_bit_exactly(tmp_path, qtype):
    # given
    source = tiny_tensors()[MATRIX]
    path = write_tiny(tmp_path / "m.sou", qtype)
    # when
    with read_sou(path) as sou:
        type_name, shape, raw = sou.raw(MATRIX)
        weights = sou.tensor(MATRIX)
        # then: the stored bytes are the quantizer's, and reading them decodes them exactly
        assert (type_name, shape) == (qtype, tuple(source.shape))
        np.testing.assert_array_equal(raw, quantize(source, qtype).numpy())
        expected = dequantize(quantize(source, qtype), qtype, tuple(source.shape))
        assert weights.dtype == expected.dtype
        assert torch.equal(weights, expected)


@pytest.mark.parametrize("dtype,qtype", [(torch.float32, "F32"), (torch.float16, "F16"),
                                         (torch.bfloat16, "BF16")])
def test_float_tensors_come_back_identical_without_a_copy(tmp_path, dtype, qtype):
    # given
    tensors = {name: t.to(dtype) for name, t in tiny_tensors().items() if t.dim() == 2}
    path = write_sou(tmp_path / "m.sou", config=TINY_CONFIG, tensors=tensors, generation={},
                     provenance={}, qtype=qtype)
    with read_sou(path) as sou:
        # when
        first, again = sou.tensor(MATRIX), sou.tensor(MATRIX)
        # then
        assert torch.equal(first, tensors[MATRIX])
        assert first.data_ptr() == again.data_ptr()  # both view the map


def test_a_file_can_mix_every_type(tmp_path):
    # given
    x = torch.randn(4, 64, generator=torch.Generator().manual_seed(3))
    specs = [TensorSpec(f"t.{t}", t, (4, 64)) for t in ALL_TYPES]
    with SouWriter(tmp_path / "mixed.sou") as writer:
        writer.write_header({"architecture": {"arch": "test"}}, specs)
        for spec in specs:
            writer.write_tensor(spec.name, quantize(x, spec.type_name).numpy())
        writer.finish()
    # when
    with read_sou(tmp_path / "mixed.sou") as sou:
        types = {info.name: info.type_name for info in sou.tensor_infos}
        offsets = [info.offset for info in sou.tensor_infos]
        # then
        assert types == {f"t.{t}": t for t in ALL_TYPES}
        assert all(offset % 64 == 0 for offset in offsets)
        for t in ALL_TYPES:
            assert torch.equal(sou.tensor(f"t.{t}"), dequantize(quantize(x, t), t, (4, 64)))


def test_metadata_sections_round_trip(tmp_path):
    # given
    path = write_tiny(tmp_path / "m.sou", "Q8_0")
    # when
    with read_sou(path) as sou:
        # then
        assert sou.config == TINY_CONFIG
        assert json.loads(sou.tokenizer_json)["model"]["vocab"] == {"a": 0, "é": 1}
        assert sou.tokenizer_json.startswith('{\n  "model"')  # verbatim, formatting kept
        assert sou.chat_template.startswith("{% for m in messages %}")
        assert sou.generation["temperature"] == 0.6
        assert sou.generation["stop"] == ["<|end|>"]
        assert sou.generation["top_p"] == 0.95  # not stored: the format default
        assert sou.personality == {"name": "Slough", "traits": {"warmth": 0.8}}
        assert sou.provenance["dataset_sha256"] == "ab" * 32
        assert sou.provenance["eval"] == {"perplexity": 12.5}
        assert sou.provenance["created_by"].startswith("sloughgpt")
        assert set(sou.steering_vectors()) == {1}
        assert sou.steering_vectors()[1].dtype == torch.float32


def test_unknown_metadata_keys_are_kept(tmp_path):
    # given: a file from a newer writer with a section and keys this reader does not know
    metadata = {"architecture": {"arch": "gpt2", "rope_mode": "new"},
                "generation": {"temperature": 1.0, "mirostat": 2}, "future_section": [1, 2]}
    with SouWriter(tmp_path / "m.sou") as writer:
        writer.write_header(metadata, [])
        writer.finish()
    # when
    with read_sou(tmp_path / "m.sou") as sou:
        # then
        assert sou.metadata["future_section"] == [1, 2]
        assert sou.config["rope_mode"] == "new"
        assert sou.generation["mirostat"] == 2


def test_tensors_stay_readable_after_close(tmp_path):
    # given
    path = write_tiny(tmp_path / "m.sou")
    sou = read_sou(path)
    weights = sou.tensor(MATRIX)
    # when
    sou.close()
    # then: the view keeps the mapping alive
    assert torch.equal(weights, tiny_tensors()[MATRIX])


def test_policy_is_applied_when_writing(tmp_path):
    # given
    path = write_tiny(tmp_path / "m.sou", "Q4_1", policy=QuantPolicy(keep_embeddings=True))
    # when
    with read_sou(path) as sou:
        types = {info.name: info.type_name for info in sou.tensor_infos}
    # then
    assert types["token_embd.weight"] == "F16"
    assert types["output.weight"] == "Q8_0"
    assert types["odd.weight"] == "F16"
    assert types["blk.0.attn_norm.weight"] == "F32"
    assert types["blk.1.ffn_up.weight"] == "Q4_1"
