"""K-quant weights run: a QuantLinear over Q2_K..Q6_K bytes computes what the dequantized
matrix computes (prompt and decode shapes, and the input gradient adapters train through) on
whichever path is selected, and
a model exported with the Q4_K_M recipe loads, generates, keeps the float model's choices and
gets the export report's numbers."""

import pytest
import torch
import torch.nn.functional as F

from ml.infer.engine import Engine
from ml.infer.qlinear import QuantLinear
from ml.infer.quality import compare_quality
from ml.sou import read_sou
from ml.sou.constants import K_TYPES
from ml.sou.convert import import_hf_dir
from ml.sou.quant import dequantize, quantize
from tests.ml.infer.factories import hf_dir
from tests.ml.infer.test_kquant_native import activations_as_kernels_see_them

GREEDY = {"temperature": 0.0, "repetition_penalty": 1.0, "ignore_eos": True}


@pytest.mark.parametrize("qtype", K_TYPES)
@pytest.mark.parametrize("rows", [1, 5])
def test_k_quant_layer_equals_dequantize_then_matmul(qtype, rows):
    # given a layer whose weight stays packed as qtype
    gen = torch.Generator().manual_seed(0)
    weight, bias = torch.randn(24, 512, generator=gen), torch.randn(24, generator=gen)
    layer = QuantLinear.from_float(weight, qtype, bias)
    stored = dequantize(quantize(weight, qtype), qtype, (24, 512))
    x = torch.randn(1, rows, 512, generator=gen, requires_grad=True)
    # when
    y = layer(x)
    y.sum().backward()
    # then: the packed bytes are what is held, and the numbers are the dequantized matrix's
    # (a decode step's single row meets it as 8-bit super-blocks, the integer kernels' input)
    assert layer.qweight.dtype == torch.uint8
    seen = x if rows > 1 else activations_as_kernels_see_them(x.detach().view(1, 512)).view(x.shape)
    assert torch.allclose(y, F.linear(seen, stored, bias), atol=1e-4)
    assert torch.allclose(x.grad, torch.ones(1, rows, 24) @ stored, atol=1e-4)


def test_a_q4_k_m_export_loads_generates_and_agrees_with_f32(tmp_path):
    # given one tiny LLaMA (rows of 256, so K-quants apply) exported as F32 and as Q4_K_M
    source = hf_dir(tmp_path / "hf", "llama", std=0.05, hidden_size=256, intermediate_size=256,
                    num_attention_heads=4, num_key_value_heads=2)
    import_hf_dir(source, tmp_path / "f32.sou", "F32")
    import_hf_dir(source, tmp_path / "q4km.sou", "Q4_K_M")
    with read_sou(tmp_path / "q4km.sou") as sou:
        types = {info.name: info.type_name for info in sou.tensor_infos}
    f32, q4km = Engine.load(tmp_path / "f32.sou", "cpu"), Engine.load(tmp_path / "q4km.sou", "cpu")
    text = "The quick brown fox jumps over the lazy dog while the cat sleeps. " * 3
    idx = torch.tensor([f32.encode(text)[:96]])
    # when
    with torch.no_grad():
        agree = (f32.model(idx).argmax(-1) == q4km.model(idx).argmax(-1)).float().mean().item()
    tokens = [d.token_id for d in q4km.stream("The quick brown fox", max_tokens=8, **GREEDY)]
    report = compare_quality(reference=tmp_path / "f32.sou", candidate=tmp_path / "q4km.sou",
                             text=text)
    # then: the recipe's types are in the file, the model runs and mostly keeps its choices
    assert types["model.layers.0.mlp.down_proj.weight"] == "Q4_K"
    # use_more_bits(1, 2): 1 >= 7 * 2 // 8, the last eighth of the blocks
    assert types["model.layers.1.mlp.down_proj.weight"] == "Q6_K"
    assert types["model.layers.1.self_attn.v_proj.weight"] == "Q6_K"
    assert types["lm_head.weight"] == "Q6_K"
    assert len(tokens) == 8
    assert agree >= 0.9
    # and the export report measures it like any other type
    assert abs(report.perplexity_delta_pct) < 5 and report.tokens_per_s > 0
