"""Quantization matches ggml byte for byte (checked against gguf-py) and the policy keeps the
right tensors at high precision."""

import numpy as np
import pytest
import torch
from gguf import GGMLQuantizationType
from gguf.quants import dequantize as gguf_dequantize
from gguf.quants import quantize as gguf_quantize

from ml.sou.quant import QuantPolicy, dequantize, quantize

ALL_TYPES = ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1"]


def weights_with_edge_blocks() -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(16, 128, generator=g) * torch.rand(16, 1, generator=g) * 4
    x[0, :32] = 0.0  # all-zero block: scale 0
    x[1, :32] = 1.5  # constant block
    x[2, :32] = torch.arange(32) / 31 - 0.5  # evenly spaced: rounding ties
    x[3, :32] = -x[3, :32].abs()  # all negative: Q4_0 takes the signed peak
    x[4, 5] = 1e4  # one outlier
    return x


@pytest.mark.parametrize("type_name", ALL_TYPES)
def test_quantized_bytes_match_gguf_for_every_type(type_name):
    # given
    x = weights_with_edge_blocks()
    # when
    ours = quantize(x, type_name).numpy()
    theirs = gguf_quantize(x.numpy(), GGMLQuantizationType[type_name]).view(np.uint8)
    # then
    np.testing.assert_array_equal(ours, theirs.reshape(-1))


@pytest.mark.parametrize("type_name", ALL_TYPES)
def test_dequantized_values_match_gguf_for_every_type(type_name):
    # given
    x = weights_with_edge_blocks()
    raw = quantize(x, type_name)
    # when
    ours = dequantize(raw, type_name, tuple(x.shape)).float().numpy()
    theirs = gguf_dequantize(raw.numpy().reshape(16, -1), GGMLQuantizationType[type_name])
    # then
    np.testing.assert_array_equal(ours, theirs.reshape(16, 128).astype(np.float32))


@pytest.mark.parametrize("type_name,bound", [("Q8_0", 0.01), ("Q4_0", 0.2), ("Q4_1", 0.12)])
def test_quantization_error_stays_within_the_types_resolution(type_name, bound):
    # given
    x = torch.randn(64, 256, generator=torch.Generator().manual_seed(2))
    # when
    back = dequantize(quantize(x, type_name), type_name, (64, 256))
    # then
    relative = (back - x).abs().max(dim=-1).values / x.abs().max(dim=-1).values
    assert relative.max().item() < bound


def test_q4_0_packs_first_sixteen_weights_in_low_nibbles():
    # given: a block whose levels are recognisable (-8 .. 7 in units of 1)
    block = torch.tensor([-8.0] + list(range(-7, 8)) + [0.0] * 16)
    # when
    raw = quantize(block.view(1, 32), "Q4_0")
    # then: byte 2 + j holds q[j] (low) and q[j + 16] (high); q = level + 8
    nibbles = raw[2:].numpy()
    assert list(nibbles & 0x0F) == [max(0, min(15, v + 8)) for v in [-8] + list(range(-7, 8))]
    assert set((nibbles >> 4).tolist()) == {8}


def test_block_types_refuse_rows_that_do_not_fill_blocks():
    with pytest.raises(ValueError, match="multiple of 32"):
        quantize(torch.randn(4, 40), "Q8_0")


def test_integer_tensors_are_refused():
    with pytest.raises(ValueError, match="floating-point"):
        quantize(torch.arange(64).view(2, 32), "F32")


@pytest.mark.parametrize(
    "name,shape,policy,expected",
    [
        ("blk.0.attn_norm.weight", (64,), QuantPolicy(), "F32"),
        ("blk.0.ffn_up.weight", (160, 64), QuantPolicy(), "Q4_0"),
        ("odd.weight", (7, 10), QuantPolicy(), "F16"),
        ("output.weight", (96, 64), QuantPolicy(), "Q8_0"),
        ("output.weight", (96, 64), QuantPolicy(output_type="F16"), "F16"),
        ("output.weight", (96, 60), QuantPolicy(), "F16"),
        ("output.weight", (96, 64), QuantPolicy(keep_output=False), "Q4_0"),
        ("lm_head.weight", (96, 64), QuantPolicy(output_type="F32"), "F32"),
        ("lm_head.weight", (96, 64), QuantPolicy(keep_embeddings=True), "Q8_0"),
        ("token_embd.weight", (96, 64), QuantPolicy(), "Q4_0"),
        ("transformer.wte.weight", (96, 64), QuantPolicy(keep_embeddings=True), "F16"),
        ("model.embed_tokens.weight", (96, 64), QuantPolicy(keep_embeddings=True), "F16"),
    ],
)
def test_policy_keeps_precision_where_it_matters(name, shape, policy, expected):
    assert policy.type_for(name, shape, "Q4_0") == expected


def test_policy_float_targets_apply_to_every_matrix():
    policy = QuantPolicy(keep_embeddings=True)
    assert policy.type_for("output.weight", (96, 64), "BF16") == "BF16"
    assert policy.type_for("odd.weight", (7, 10), "F16") == "F16"
    assert policy.type_for("bias", (7,), "F16") == "F32"
