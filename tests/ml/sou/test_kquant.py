"""K-quants (Q2_K .. Q6_K): the bytes decode as gguf-py decodes them, the quantizers keep each
type's expected accuracy, `.sou` files store them and refuse mis-sized ones, and the mixed
recipes give the sensitive tensors Q6_K as llama.cpp does."""

import hashlib

import numpy as np
import pytest
import torch
from gguf import GGMLQuantizationType
from gguf.quants import dequantize as gguf_dequantize

from ml.sou import read_sou
from ml.sou.constants import K_TYPES, TENSOR_TYPES
from ml.sou.quant import QuantPolicy, dequantize, quantize
from tests.ml.sou.factories import build_sou, entry, write_tiny
from tests.ml.sou.test_validation import ENTRY_AT, refused

F16_FIELDS = {"Q2_K": (80, 82), "Q3_K": (108,), "Q4_K": (0, 2), "Q5_K": (0, 2), "Q6_K": (208,)}


def random_blocks(type_name: str, count: int, seed: int = 0) -> np.ndarray:
    """Random bytes for every field, with finite f16 scales (NaN never compares equal)."""
    rng = np.random.default_rng(seed)
    size = TENSOR_TYPES[type_name].type_size
    blocks = rng.integers(0, 256, (count, size), dtype=np.uint8)
    for at in F16_FIELDS[type_name]:
        blocks[:, at:at + 2] = rng.standard_normal((count, 1)).astype(np.float16).view(np.uint8)
    return blocks


@pytest.mark.parametrize("type_name", K_TYPES)
def test_random_blocks_decode_to_gguf_pys_exact_floats(type_name):
    # given: 64 super-blocks of random bytes
    blocks = random_blocks(type_name, 64)
    # when
    ours = dequantize(torch.from_numpy(blocks.reshape(-1)), type_name, (64, 256)).numpy()
    # then: bit for bit what llama.cpp's Python package reads from the same bytes
    reference = gguf_dequantize(blocks, GGMLQuantizationType[type_name]).reshape(64, 256)
    assert np.array_equal(ours.view(np.uint32), reference.view(np.uint32))


def golden_input() -> np.ndarray:
    """Weights of several shapes: Gaussian, heavy-tailed, mostly zero, rare outliers, integers
    (exact fits), and all-zero and constant super-blocks."""
    rng = np.random.default_rng(2024)
    parts = [rng.standard_normal(256 * 24), rng.laplace(size=256 * 16) * 0.02,
             np.where(rng.random(256 * 8) < 0.7, 0.0, rng.standard_normal(256 * 8)),
             rng.standard_normal(256 * 8) * np.where(rng.random(256 * 8) < 0.01, 50.0, 1.0),
             rng.integers(-8, 8, 256 * 4), np.zeros(256), np.full(256, 0.3), np.full(256, -2.0)]
    return np.concatenate(parts).astype(np.float32)


# sha256 of the bytes llama.cpp's quantize_row_q*_K_ref (ggml/src/ggml-quants.c, ggml-org
# commit 01243c58, built for baseline x86-64 as its ggml-base library is) writes for
# golden_input(): what `llama-quantize` writes for these types without an importance matrix.
LLAMA_CPP_SHA256 = {
    "Q2_K": "5fbdf71f155759de228cf9ca2722bfb96c703243d95cfc59e9d55a34e9f4d7e3",
    "Q3_K": "561d4cd9841fc3e9acf8f1ade83eb48e622e7467546f81c84d0ede4229478e3d",
    "Q4_K": "f43390ab8daec14246e0f969618d89d28e2ace426a51b2220c0e2afa515c528e",
    "Q5_K": "a85c0ecfbf18d382d3706554eadcb4e713a410773e4945c2594db48e2cd18f3b",
    "Q6_K": "baa4c0bead763793ff55493b2aed986a5ca56c63542d9e02ae5ce329d2b55881",
}


@pytest.mark.parametrize("type_name", K_TYPES)
def test_quantized_bytes_are_llama_cpps(type_name):
    # given
    weights = torch.from_numpy(golden_input()).view(-1, 256)
    # when
    raw = quantize(weights, type_name).numpy()
    # then
    assert hashlib.sha256(raw.tobytes()).hexdigest() == LLAMA_CPP_SHA256[type_name]


# Relative mean squared error on Gaussian weights, bounds a little above what the reference
# quantizers reach (Q4_K about 0.005): each type stays under its bound, more bits do better.
ERROR_BOUNDS = {"Q2_K": 0.12, "Q3_K": 0.035, "Q4_K": 0.008, "Q5_K": 0.002, "Q6_K": 0.0005}


def test_quantized_weights_read_back_in_gguf_py_within_each_types_accuracy():
    # given
    weights = torch.randn(8, 512, generator=torch.Generator().manual_seed(1))
    errors = {}
    for type_name in K_TYPES:
        # when: our bytes decoded by gguf-py
        raw = quantize(weights, type_name).numpy()
        back = gguf_dequantize(raw.reshape(-1, TENSOR_TYPES[type_name].type_size),
                               GGMLQuantizationType[type_name]).reshape(8, 512)
        errors[type_name] = float(((back - weights.numpy()) ** 2).mean()
                                  / (weights.numpy() ** 2).mean())
    # then
    assert all(errors[t] < ERROR_BOUNDS[t] for t in K_TYPES), errors
    assert [errors[t] for t in K_TYPES] == sorted(errors.values(), reverse=True)


@pytest.mark.parametrize("type_name", K_TYPES)
def test_all_zero_and_constant_rows_survive(type_name):
    # given: a zero super-block and a constant one
    weights = torch.cat([torch.zeros(1, 256), torch.full((1, 256), 0.25)])
    # when
    back = dequantize(quantize(weights, type_name), type_name, (2, 256))
    # then
    assert torch.equal(back[0], torch.zeros(256))
    assert torch.allclose(back[1], weights[1], atol=0.02)


def test_a_k_quant_sou_file_round_trips(tmp_path):
    # given: matrices of 256-wide rows
    tensors = {"blk.0.ffn_up.weight": torch.randn(4, 256), "norm.weight": torch.ones(256)}
    # when
    path = write_tiny(tmp_path / "k.sou", "Q4_K", tensors=tensors)
    # then
    with read_sou(path) as sou:
        types = {info.name: info.type_name for info in sou.tensor_infos}
        assert types == {"blk.0.ffn_up.weight": "Q4_K", "norm.weight": "F32"}
        assert sou.raw("blk.0.ffn_up.weight")[2].nbytes == 4 * 144
        assert sou.checksum_problems() == []
        restored = sou.tensor("blk.0.ffn_up.weight")
        assert torch.allclose(restored, tensors["blk.0.ffn_up.weight"], atol=0.2)


Q4_K_CODE = TENSOR_TYPES["Q4_K"].code


def test_a_k_quant_entry_with_a_partial_super_block_is_refused(tmp_path):
    # given: Q4_K rows of 128 weights (half a super-block)
    data = bytes(144)
    error = refused(tmp_path, build_sou(
        entries=[entry(type_code=Q4_K_CODE, dims=(2, 128), length=144)], data=data))
    # then
    assert error.field == "tensor[0] ('w').dims" and error.offset == ENTRY_AT + 11
    assert "multiple of 256" in str(error)


def test_a_k_quant_entry_with_the_wrong_length_is_refused(tmp_path):
    # given: one Q4_K row of 256 weights whose index says 128 bytes, not 144
    error = refused(tmp_path, build_sou(
        entries=[entry(type_code=Q4_K_CODE, dims=(1, 256), length=128)], data=bytes(128)))
    # then
    assert error.field == "tensor[0] ('w').length" and error.offset == ENTRY_AT + 35
    assert "takes 144 bytes" in str(error)


def test_a_truncated_k_quant_file_is_refused(tmp_path):
    # given
    tensors = {"blk.0.ffn_up.weight": torch.randn(4, 256)}
    whole = write_tiny(tmp_path / "k.sou", "Q6_K", tensors=tensors).read_bytes()
    # when / then
    error = refused(tmp_path, whole[:-100])
    assert "runs past the end of the file" in str(error)


def llama_names(n_layer: int) -> list[str]:
    names = ["model.embed_tokens.weight", "lm_head.weight"]
    for i in range(n_layer):
        names += [f"model.layers.{i}.self_attn.{p}.weight" for p in ("q_proj", "v_proj")]
        names += [f"model.layers.{i}.mlp.{p}.weight" for p in ("up_proj", "down_proj")]
    return names


@pytest.mark.parametrize("recipe,base", [("Q4_K_M", "Q4_K"), ("Q5_K_M", "Q5_K")])
def test_mixed_recipes_give_q6_k_where_llama_cpp_does(recipe, base):
    # given: a 16-layer LLaMA's tensor names (use_more_bits picks layers 0, 1, 4, 7, 10, 13,
    # 14, 15: the first and last eighth and every third between)
    policy = QuantPolicy()
    # when
    types = {name: policy.type_for(name, (256, 256), recipe, 16) for name in llama_names(16)}
    # then
    sensitive = {i for i in range(16) if types[f"model.layers.{i}.self_attn.v_proj.weight"]
                 == "Q6_K"}
    assert sensitive == {0, 1, 4, 7, 10, 13, 14, 15}
    assert {i for i in range(16) if types[f"model.layers.{i}.mlp.down_proj.weight"]
            == "Q6_K"} == sensitive
    assert types["lm_head.weight"] == "Q6_K"
    assert types["model.embed_tokens.weight"] == base
    assert types["model.layers.2.self_attn.q_proj.weight"] == base
    assert types["model.layers.2.mlp.up_proj.weight"] == base


def test_rows_that_cannot_hold_super_blocks_get_llama_cpps_substitute():
    # given: 64-wide rows, as in a tiny model
    policy = QuantPolicy()
    # when / then
    assert policy.type_for("blk.0.ffn_up.weight", (64, 64), "Q6_K") == "Q8_0"
    assert policy.type_for("blk.0.ffn_up.weight", (64, 64), "Q4_K_M", 2) == "Q4_1"
    assert policy.type_for("blk.0.ffn_up.weight", (64, 10), "Q2_K") == "F16"
