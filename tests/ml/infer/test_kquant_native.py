"""K-quant weights in the native kernels: each type's product is the dequantized matrix's
product (up to the 8-bit activation super-blocks the integer kernels use by design), the SIMD,
portable C and PyTorch paths agree, prompts dequantize to the file's exact weights, a Q4_K_M
model generates the same tokens natively and in PyTorch, and damaged K-quant tensors are
refused by the reader before any kernel reads them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ml.infer import kernels
from ml.infer.engine import Engine
from ml.infer.loader import load_model
from ml.infer.native import NativeDecoder
from ml.infer.qlinear import GEMM_ROWS, QuantLinear, quantize_activations
from ml.sou import SouFormatError, read_sou
from ml.sou.constants import K_TYPES, TENSOR_TYPES
from ml.sou.convert import import_hf_dir
from ml.sou.kquant import QK_K
from ml.sou.quant import dequantize, quantize
from tests.ml.infer.factories import hf_dir
from tests.ml.infer.test_qlinear import needs_compiler, simd_level
from tests.ml.sou.factories import build_sou, entry

GREEDY = {"temperature": 0.0, "repetition_penalty": 1.0, "ignore_eos": True}
# (out_features, in_features): ragged row counts (not a multiple of the 4-row groups), one and
# several super-blocks per row.
SHAPES = [(1, 256), (7, 512), (37, 768)]


def layer_and_reference(qtype, out_features, in_features, seed=0):
    gen = torch.Generator().manual_seed(seed)
    weight = torch.randn(out_features, in_features, generator=gen)
    bias = torch.randn(out_features, generator=gen)
    layer = QuantLinear.from_float(weight, qtype, bias)
    stored = dequantize(quantize(weight, qtype), qtype, (out_features, in_features)).float()
    return layer, stored, bias


def activations_as_kernels_see_them(x):
    """x (M, K) after the kernels' 8-bit super-block quantization: d * q."""
    q, d, _ = quantize_activations(x, QK_K)  # (M, B, 256), (M, B)
    return (q * d[..., None]).view(x.shape)


@needs_compiler
@pytest.mark.parametrize("qtype", K_TYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("rows", [1, 3])
def test_native_k_quant_product_is_the_dequantized_product(path, qtype, shape, rows):
    # given a layer over K-quant bytes and a decode-sized input (1 row, or a few sequences)
    path("native")
    layer, stored, bias = layer_and_reference(qtype, *shape)
    x = torch.randn(rows, shape[1])
    # when the native integer kernel multiplies
    y = layer(x)
    # then it is the dequantized weights times the quantized activations, to float rounding,
    # and within the activation quantization of the float product
    exact = (activations_as_kernels_see_them(x).double() @ stored.double().t() + bias).float()
    torch.testing.assert_close(y, exact, rtol=1e-5, atol=1e-4)
    _, d, _ = quantize_activations(x, QK_K)
    bound = (d / 2) @ stored.abs().view(shape[0], -1, QK_K).sum(-1).t() + 1e-4  # (M, N)
    assert ((y - F.linear(x, stored, bias)).abs() <= bound).all()


@needs_compiler
@pytest.mark.parametrize("qtype", K_TYPES)
@pytest.mark.parametrize("level", list(kernels.SIMD_LEVELS))
def test_every_simd_level_and_pytorch_agree(path, qtype, level):
    # given a ragged layer and a decode step for two sequences
    path("native")
    layer, _, _ = layer_and_reference(qtype, 23, 512, seed=2)
    x = torch.randn(2, 1, 512)
    # when the kernels of one SIMD level (portable C, AVX2, VNNI) run, and the PyTorch path
    with simd_level(level):
        native = layer(x)
    path("torch")
    fallback = layer(x)
    # then both give the same products to float rounding
    torch.testing.assert_close(native, fallback, rtol=1e-5, atol=1e-4)


def widest_blocks(qtype: str, rows: int, blocks: int) -> torch.Tensor:
    """Raw K-quant rows whose every level, scale and minimum is the largest its bits hold
    (all bits set), with small finite d and dmin: the products that would overflow a kernel's
    16-bit intermediate sums first."""
    info = TENSOR_TYPES[qtype]
    block = bytearray(b"\xff" * info.type_size)
    d_offset = {"Q2_K": 80, "Q3_K": 108, "Q4_K": 0, "Q5_K": 0, "Q6_K": 208}[qtype]
    block[d_offset:d_offset + 2] = np.float16(0.01).tobytes()
    if qtype in ("Q2_K", "Q4_K", "Q5_K"):  # dmin follows d
        block[d_offset + 2:d_offset + 4] = np.float16(0.003).tobytes()
    return torch.frombuffer(bytearray(bytes(block) * (rows * blocks)), dtype=torch.uint8)


@needs_compiler
@pytest.mark.parametrize("qtype", K_TYPES)
@pytest.mark.parametrize("level", list(kernels.SIMD_LEVELS))
def test_the_widest_levels_sum_exactly_at_every_simd_level(path, qtype, level):
    # given weights at their largest levels and scales, and activations at +-127 (every value
    # its row's largest magnitude)
    path("native")
    rows, width = 5, 2 * QK_K
    raw = widest_blocks(qtype, rows, width // QK_K)
    layer = QuantLinear.from_raw(qtype, (rows, width), raw)
    stored = dequantize(raw, qtype, (rows, width)).double()
    x = torch.cat([torch.full((1, width), 2.0), torch.full((1, width), -3.0)])
    # when the kernels of one SIMD level multiply a decode step
    with simd_level(level):
        y = layer(x.view(2, 1, width)).view(2, rows)
    # then the result is the exact product: no intermediate sum saturated
    exact = (activations_as_kernels_see_them(x).double() @ stored.t()).float()
    torch.testing.assert_close(y, exact, rtol=1e-6, atol=1e-4)


@needs_compiler
@pytest.mark.parametrize("qtype", K_TYPES)
def test_native_dequantize_gives_the_files_exact_weights(path, qtype):
    # given K-quant bytes, which prompts dequantize tile by tile
    path("native")
    weight = torch.randn(5, 512) * 3
    raw = quantize(weight, qtype)
    out = torch.empty(5, 512)
    # when the kernels dequantize them
    status = kernels.load().sg_dequantize(kernels.TYPE_CODES[qtype], raw.data_ptr(), 5, 512,
                                          out.data_ptr())
    # then the floats are bit for bit ml.sou's (gguf-py's) weights, and a prompt gets the float
    # product of those weights
    assert status == 0 and torch.equal(out, dequantize(raw, qtype, (5, 512)))
    layer = QuantLinear.from_raw(qtype, (5, 512), raw)
    x = torch.randn(1, GEMM_ROWS + 1, 512)
    torch.testing.assert_close(layer(x), x @ out.t(), rtol=1e-5, atol=1e-4)


@pytest.fixture(scope="module")
def q4km_sou(tmp_path_factory):
    # Rows of 256 so the K-quants apply; the recipe mixes Q4_K with Q6_K (attn_v, ffn_down of
    # some layers, the head).
    directory = tmp_path_factory.mktemp("q4km")
    source = hf_dir(directory / "hf", "llama", std=0.05, hidden_size=256, intermediate_size=512,
                    num_attention_heads=4, num_key_value_heads=2)
    return import_hf_dir(source, directory / "q4km.sou", "Q4_K_M").path


@needs_compiler
def test_a_q4_k_m_model_decodes_natively(path, q4km_sou):
    # given a Q4_K_M file whose linears are Q4_K and Q6_K
    path("native")
    sou = read_sou(q4km_sou)
    types = {info.type_name for info in sou.tensor_infos}
    model = load_model(sou, torch.device("cpu"), torch.float32)
    # when the native decoder is built for it
    native = NativeDecoder.build(model)
    # then it takes the model (the K types are read natively) rather than leaving it to PyTorch
    assert {"Q4_K", "Q6_K"} <= types
    assert native is not None


@needs_compiler
def test_a_q4_k_m_model_writes_the_same_tokens_natively_and_in_pytorch(path, q4km_sou):
    # given the same Q4_K_M file loaded with the native kernels and with SLOUGHGPT_KERNELS=torch
    prompts = ["The quick brown fox", "To be, or not"]
    path("native")
    native = Engine.load(q4km_sou, "cpu")
    native_tokens = [[d.token_id for d in native.stream(p, max_tokens=12, **GREEDY)]
                     for p in prompts]
    path("torch")
    fallback = Engine.load(q4km_sou, "cpu")
    # when both generate greedily
    fallback_tokens = [[d.token_id for d in fallback.stream(p, max_tokens=12, **GREEDY)]
                       for p in prompts]
    # then they write the same tokens
    assert native_tokens == fallback_tokens
    assert all(len(tokens) == 12 for tokens in native_tokens)


Q4_K = TENSOR_TYPES["Q4_K"]


@pytest.mark.parametrize("dims, length, data, field", [
    ((2, 256), 2 * Q4_K.type_size - 1, bytes(2 * Q4_K.type_size), "length"),  # a byte short
    ((2, 250), 2 * Q4_K.type_size, bytes(2 * Q4_K.type_size), "dims"),  # rows not whole blocks
    ((2, 256), 2 * Q4_K.type_size, bytes(Q4_K.type_size), "offset"),  # data cut off
])
def test_a_damaged_k_quant_tensor_is_refused_by_the_reader(tmp_path, dims, length, data, field):
    # given a file whose Q4_K tensor does not hold the blocks its shape needs
    file = tmp_path / "bad.sou"
    file.write_bytes(build_sou(entries=[entry(type_code=Q4_K.code, dims=dims, length=length)],
                               data=data, minor=1))
    # when / then: opening it fails, naming the tensor's field, so no kernel ever sees it
    with pytest.raises(SouFormatError) as info:
        read_sou(file)
    assert info.value.field == f"tensor[0] ('w').{field}"
