"""QuantLinear: products equal dequantize-then-matmul (up to the activation quantization the
block types use by design), the native kernels and the PyTorch path agree, and a model with
every linear swapped picks the same greedy tokens on both."""

import contextlib
import logging
import shutil

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ml.infer import kernels
from ml.infer.qlinear import GEMM_ROWS, QTYPES, QuantLinear, quantize_activations, swap_linears
from ml.models import Llama, LlamaConfig
from ml.sou import read_sou, write_sou
from ml.sou.constants import K_TYPES
from ml.sou.quant import dequantize, quantize

BLOCK_QTYPES = ("Q8_0", "Q4_0", "Q4_1")
# The float and 32-block types the native kernels read; the K-quants (rows of 256) are tested
# in test_kquant_native.py.
NATIVE_QTYPES = tuple(q for q in QTYPES if q in kernels.TYPE_CODES and q not in K_TYPES)
# (out_features, in_features): a single block, odd output counts, several blocks per row.
SHAPES = [(1, 32), (13, 64), (37, 160)]

needs_compiler = pytest.mark.skipif(
    shutil.which("cc") is None and shutil.which("gcc") is None,
    reason="no C compiler on this machine: only the PyTorch path exists here",
)


@contextlib.contextmanager
def simd_level(name: str):
    """Run the kernels at one SIMD level (kernels.SIMD_LEVELS), skipping the test where this
    CPU lacks it; the best level comes back afterwards."""
    lib = kernels.load()
    level = kernels.SIMD_LEVELS[name]
    if lib.sg_simd_use(level) != level:
        pytest.skip(f"this CPU has no {name}")
    try:
        yield
    finally:
        lib.sg_simd_use(kernels.BEST_SIMD)


def layer_and_reference(qtype, out_features, in_features, seed=0):
    gen = torch.Generator().manual_seed(seed)
    weight = torch.randn(out_features, in_features, generator=gen)
    bias = torch.randn(out_features, generator=gen)
    layer = QuantLinear.from_float(weight, qtype, bias)
    stored = dequantize(quantize(weight, qtype), qtype, (out_features, in_features)).float()
    return layer, stored, bias


def activation_error_bound(x, stored):
    """Largest error 8-bit activation blocks can cause: each activation moves by at most half
    its block's step d = amax / 127, weighted by the weights it meets."""
    _, d, _ = quantize_activations(x.reshape(-1, x.shape[-1]))  # (M, B)
    per_block = stored.abs().view(stored.shape[0], -1, 32).sum(-1)  # (N, B)
    return (d / 2) @ per_block.t() + 1e-4  # (M, N)


@needs_compiler
@pytest.mark.parametrize("qtype", NATIVE_QTYPES)
@pytest.mark.parametrize("rows", [1, 7, GEMM_ROWS + 3])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kernel", ["native", "torch"])
def test_output_matches_dequantize_then_matmul(path, kernel, qtype, rows, shape):
    # given a layer over quantized weights and the float weights those bytes stand for
    path(kernel)
    layer, stored, bias = layer_and_reference(qtype, *shape)
    x = torch.randn(rows, shape[1])

    # when it multiplies
    y = layer(x)

    # then it is the float product, exactly up to rounding for float types and within the
    # activation-quantization bound for block types
    expected = F.linear(x, stored, bias)
    assert y.shape == (rows, shape[0]) and y.dtype == torch.float32
    if qtype in BLOCK_QTYPES:
        assert ((y - expected).abs() <= activation_error_bound(x, stored)).all()
    else:
        torch.testing.assert_close(y, expected, rtol=1e-5, atol=1e-4)


@needs_compiler
@pytest.mark.parametrize("qtype", [q for q in NATIVE_QTYPES if q != "F32"])
@pytest.mark.parametrize("rows", [1, 7, GEMM_ROWS])
def test_native_kernels_and_torch_path_agree(path, qtype, rows):
    # given one layer and one batch of activations
    layer, _, _ = layer_and_reference(qtype, 37, 160, seed=1)
    x = torch.randn(2, rows, 160)

    # when both paths compute it
    path("native")
    native = layer(x)
    path("torch")
    fallback = layer(x)

    # then they agree to float rounding (the same integer arithmetic underneath)
    assert native.shape == (2, rows, 37)
    torch.testing.assert_close(native, fallback, rtol=1e-5, atol=1e-4)


@needs_compiler
@pytest.mark.parametrize("qtype", [q for q in NATIVE_QTYPES if q != "F32"])
@pytest.mark.parametrize("level", ["portable", "avxvnni", "avx512vnni"])
def test_every_simd_level_agrees_with_avx2(path, qtype, level):
    # given a layer whose rows are not a multiple of the 4 the SIMD kernels group by
    path("native")
    layer, _, _ = layer_and_reference(qtype, 23, 96, seed=2)
    x = torch.randn(3, 96)
    with simd_level("avx2"):
        avx2 = layer(x)

    # when the CPU-independent C code, or a VNNI kernel, runs instead
    with simd_level(level):
        other = layer(x)

    # then it gives the same products: to float rounding in C, and bit for bit with VNNI (the
    # same integer sums in the same lanes), so a token does not depend on the CPU's VNNI
    if level == "portable":
        torch.testing.assert_close(other, avx2, rtol=1e-5, atol=1e-4)
    else:
        assert torch.equal(other, avx2)


@needs_compiler
def test_torch_path_quantizes_activations_like_the_kernels(path):
    # given activations with a zero block and values near rounding ties
    x = torch.randn(3, 64) * 5
    x[0, :32] = 0.0
    x[1, :32] = torch.arange(32) - 15.5

    # when both quantize them
    q, d, s = quantize_activations(x)
    path("native")
    lib = kernels.load()
    nq, nd, ns = torch.empty(3, 64, dtype=torch.int8), torch.empty(3, 2), torch.empty(3, 2)
    lib.sg_quantize_rows(x.data_ptr(), 3, 64, nq.data_ptr(), nd.data_ptr(), ns.data_ptr())

    # then the integers and scales are bit for bit the same
    assert torch.equal(nq.float().view(3, 2, 32), q)
    assert torch.equal(nd, d) and torch.equal(ns, s)
    assert (q[0, 0] == 0).all() and d[0, 0] == 0


def tiny_llama(seed=0):
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=96, block_size=64, n_layer=2, n_head=4, n_kv_head=2,
                         n_embd=64, intermediate_size=96, qkv_bias=True)
    return Llama(config).eval()


def greedy(model, prompt, steps):
    ids = torch.tensor([prompt])
    model.setup_caches(1, 64)
    with torch.inference_mode():
        logits = model(ids, torch.arange(ids.shape[1]))[:, -1]  # prefill: M = prompt length
        out = []
        for _ in range(steps):
            token = int(logits.argmax(-1))
            out.append(token)
            pos = torch.tensor([len(prompt) + len(out) - 1])
            logits = model(torch.tensor([[token]]), pos)[:, -1]  # decode: M = 1
    return out


def quantized_copy(qtype, seed=0):
    model = tiny_llama(seed)
    state = {name: t.detach() for name, t in model.state_dict().items()}
    raw = {name: (qtype, tuple(t.shape), quantize(t, qtype)) for name, t in state.items()}
    raw.update({name: ("F32", tuple(t.shape), quantize(t, "F32"))
                for name, t in state.items() if name.endswith(".bias")})
    swap_linears(model, raw.__getitem__)
    return model


@needs_compiler
@pytest.mark.parametrize("qtype", ["Q8_0", "Q4_0", "Q4_1", "F16"])
def test_swapped_model_picks_the_same_greedy_tokens_on_both_paths(path, qtype):
    # given a small LLaMA whose every linear layer is quantized
    model = quantized_copy(qtype)
    assert sum(isinstance(m, QuantLinear) for m in model.modules()) == 2 * 7 + 1
    prompt = [3, 14, 15, 92, 65, 35, 89, 79, 32, 38, 46, 26, 43, 38, 32, 79, 50, 28]
    assert len(prompt) >= GEMM_ROWS  # the prefill takes the GEMM path, decode steps do not

    # when it decodes greedily with the native kernels and with the PyTorch path
    path("native")
    native = greedy(model, prompt, 12)
    path("torch")
    fallback = greedy(model, prompt, 12)

    # then both write the same tokens
    assert native == fallback


def test_layer_reads_weights_in_place_from_a_sou_file(tmp_path):
    # given a .sou file holding a Q4_0 matrix
    weight = torch.randn(8, 64)
    file = write_sou(tmp_path / "m.sou", config={"arch": "llama"}, tensors={"proj.weight": weight},
                     generation={}, provenance={}, qtype="Q4_0")
    sou = read_sou(file)
    qtype, shape, raw = sou.raw("proj.weight")

    # when a layer is built over the raw bytes
    layer = QuantLinear.from_raw(qtype, shape, raw)

    # then it uses the mapped bytes themselves (no copy) and computes with them
    assert layer.raw.data_ptr() == raw.ctypes.data
    stored = dequantize(torch.from_numpy(raw.copy()), qtype, shape)
    x = torch.randn(1, 64)
    assert ((layer(x) - x @ stored.t()).abs() <= activation_error_bound(x, stored)).all()
    del layer
    sou.close()


def test_missing_compiler_falls_back_with_a_warning(monkeypatch, tmp_path, caplog):
    # given no usable C compiler and an empty kernel cache
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    monkeypatch.setenv(kernels.ENV_CACHE, str(tmp_path / "cache"))
    monkeypatch.delenv(kernels.ENV_SWITCH, raising=False)
    kernels.load.cache_clear()
    layer, stored, bias = layer_and_reference("Q8_0", 5, 64)
    x = torch.randn(2, 64)

    # when a layer runs
    with caplog.at_level(logging.WARNING, logger=kernels.__name__):
        y = layer(x)
    kernels.load.cache_clear()

    # then the PyTorch path answered and the reason was logged once
    assert any("native matmul kernels unavailable" in r.getMessage() for r in caplog.records)
    assert ((y - F.linear(x, stored, bias)).abs() <= activation_error_bound(x, stored)).all()


def test_accelerator_layers_hold_one_dense_half_precision_matrix():
    # given Q4_1 bytes destined for a device other than the CPU ("meta" stands in for CUDA)
    weight = torch.randn(16, 64)

    # when the layer is built there
    layer = QuantLinear.from_raw("Q4_1", (16, 64), quantize(weight, "Q4_1"), device="meta")

    # then it keeps a dense float16 weight and no raw bytes, and multiplies half activations
    assert layer.raw is None and layer.weight.shape == (16, 64)
    assert layer.weight.dtype == torch.float16
    y = layer(torch.empty(2, 3, 64, dtype=torch.float16, device="meta"))
    assert y.shape == (2, 3, 16) and y.dtype == torch.float16


@pytest.mark.parametrize("qtype, shape, size, message", [
    ("Q4_0", (8, 64), 100, "needs 288 bytes, got 100"),
    ("IQ4_NL", (8, 64), 288, "QuantLinear supports"),
    ("Q8_0", (8, 64, 2), 288, "(out_features, in_features)"),
])
def test_bad_weights_are_refused_with_what_is_wrong(qtype, shape, size, message):
    # given raw bytes that cannot be the described weight; when wrapped; then a clear error
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        QuantLinear.from_raw(qtype, shape, np.zeros(size, dtype=np.uint8))


def test_wrong_input_width_is_refused():
    layer = QuantLinear.from_float(torch.randn(4, 32), "Q8_0")
    with pytest.raises(ValueError, match="input has 64 features, this layer takes 32"):
        layer(torch.randn(1, 64))
