"""Fine-tuning from `.sou` bases: float32 and trainable, or LoRA over linear layers kept packed
(Q8_0/Q4_0/Q4_1) whose inputs get gradients while their weights never do; checkpoints of such
runs resume over the same packing and merge into float weights for export."""

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from ml.infer.qlinear import QuantLinear
from ml.sou import read_sou
from ml.sou.convert import import_checkpoint
from ml.train import load_checkpoint, merge_lora, train
from ml.train.lora import lora_target_names
from ml.train.setup import load_base
from tests.ml.train.factories import tiny_config


@pytest.fixture(scope="module")
def base_checkpoint(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("base")
    cfg = tiny_config(tmp_path, "model.preset='llama-tiny'", "model.block_size=64",
                      "train.max_iters=2", "data.tokenizer='bpe'")
    train(cfg)
    return tmp_path / "out" / "last"


@pytest.fixture(scope="module")
def sou_bases(base_checkpoint, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("sou")
    paths = {}
    for qtype in ("F32", "Q8_0"):
        paths[qtype] = tmp_path / f"base-{qtype}.sou"
        import_checkpoint(base_checkpoint, paths[qtype], qtype=qtype)
    return paths


def _ids(base):
    return torch.tensor([base.tokenizer.encode("the lazy dog jumps over a fox").ids])


def test_sou_base_loads_as_a_trainable_float_model_with_its_tokenizer(sou_bases, base_checkpoint):
    # given a Q8_0 .sou made from a checkpoint
    # when it is loaded as a base with no packing
    base = load_base(str(sou_bases["Q8_0"]))
    reference = load_base(str(base_checkpoint))

    # then every weight is a float32 parameter that trains, the tokenizer and eos come along,
    # and it computes what the checkpoint does up to 8-bit rounding
    params = list(base.model.parameters())
    assert params and all(p.dtype == torch.float32 and p.requires_grad for p in params)
    assert not any(isinstance(m, QuantLinear) for m in base.model.modules())
    assert base.eos_token_ids == reference.eos_token_ids
    assert base.tokenizer.to_str() == reference.tokenizer.to_str()
    ids = _ids(base)
    with torch.no_grad():
        torch.testing.assert_close(base.model(ids), reference.model(ids), rtol=0.05, atol=0.05)
    loss = base.model(ids[:, :-1], targets=ids[:, 1:])
    loss.backward()
    assert all(p.grad is not None for p in params)


@pytest.mark.parametrize("source, base_type", [("Q8_0", "Q8_0"), ("F32", "Q8_0"),
                                               ("F32", "Q4_0"), ("Q8_0", "Q4_1")])
def test_packed_base_keeps_linears_in_the_block_type(sou_bases, source, base_type):
    # given a .sou storing its linears as `source`
    # when it is loaded packed as `base_type`
    base = load_base(str(sou_bases[source]), base_type)

    # then its projections are QuantLinears of that type, holding no trainable weights;
    # a file already in that type gives its own blocks
    q_proj = base.model.model.layers[0].self_attn.q_proj
    assert isinstance(q_proj, QuantLinear) and q_proj.qtype == base_type
    assert not list(q_proj.parameters())
    if source == base_type:
        _, _, raw = read_sou(sou_bases[source]).raw("model.layers.0.self_attn.q_proj.weight")
        assert bytes(q_proj.raw.numpy()) == raw.tobytes()


def test_packed_linear_gives_the_input_the_gradient_of_its_float_equivalent():
    # given a Q4_1 layer and a float nn.Linear holding its dequantized weight
    torch.manual_seed(0)
    packed = QuantLinear.from_float(torch.randn(80, 64), "Q4_1", torch.randn(80))
    dense = nn.Linear(64, 80)
    with torch.no_grad():
        dense.weight.copy_(packed.dequantized())
        dense.bias.copy_(packed.bias)
    x = torch.randn(2, 5, 64, requires_grad=True)
    x_dense = x.detach().clone().requires_grad_()
    upstream = torch.randn(2, 5, 80)

    # when both run forward and backward
    (packed(x) * upstream).sum().backward()
    (dense(x_dense) * upstream).sum().backward()

    # then the input gradients agree and the packed weight got none
    torch.testing.assert_close(x.grad, x_dense.grad, rtol=1e-4, atol=1e-4)
    assert packed.raw.grad is None and not packed.raw.requires_grad


def test_unknown_lora_target_lists_the_valid_modules(sou_bases, tmp_path):
    # given a LoRA run on a llama base that targets a GPT-2 layer name
    cfg = tiny_config(tmp_path, f"model.base='{sou_bases['F32']}'", "data.tokenizer='base'",
                      "lora.enabled=true", "lora.target_modules=['q_proj', 'c_attn']",
                      shape=False)

    # when it starts, then it is refused, naming the layers a llama model has
    with pytest.raises(ValueError, match=r"'c_attn': not a layer.*valid: .*q_proj") as error:
        train(cfg)
    assert "gate_proj" in str(error.value)
    assert "c_attn" in lora_target_names("gpt2") and "up_proj" not in lora_target_names("gpt2")


def test_lora_over_a_q8_base_trains_resumes_packed_and_merges(sou_bases, tmp_path):
    # given a LoRA run over the Q8_0 base kept packed
    common = (f"model.base='{sou_bases['Q8_0']}'", "data.tokenizer='base'",
              "lora.enabled=true", "lora.r=4", "lora.alpha=8", "lora.dropout=0.0",
              "lora.base_type='Q8_0'", "optim.lr=1e-2", "model.block_size=64")
    cfg = tiny_config(tmp_path, *common, "train.max_iters=4", shape=False)

    # when it trains
    result = train(cfg)

    # then adapters were learnt, the checkpoint names its packing and holds the base as floats
    out = tmp_path / "out" / "last"
    assert result.steps == 4
    resumed, tokenizer, meta = load_checkpoint(out, merge_lora=False)
    assert meta.lora["base_type"] == "Q8_0"
    adapter = load_file(out / "adapter.safetensors")
    assert any("lora_B" in k and v.abs().sum() > 0 for k, v in adapter.items())
    saved = load_file(out / "model.safetensors")
    assert saved["model.layers.0.self_attn.q_proj.weight"].dtype == torch.float32

    # when reloaded for resuming, then the base is packed again in the same blocks
    layer = resumed.get_base_model().model.layers[0].self_attn.q_proj.base_layer
    _, _, raw = read_sou(sou_bases["Q8_0"]).raw("model.layers.0.self_attn.q_proj.weight")
    assert isinstance(layer, QuantLinear) and bytes(layer.raw.numpy()) == raw.tobytes()

    # when merged for export, then the float model computes what the packed adapted one does
    ids = torch.tensor([tokenizer.encode("the lazy dog").ids])
    with torch.no_grad():
        expected = resumed(ids)
        merged = merge_lora(resumed)
        assert type(merged).__name__ == "Llama"
        assert not any(isinstance(m, QuantLinear) for m in merged.modules())
        torch.testing.assert_close(merged(ids), expected, rtol=1e-3, atol=1e-3)
        exported, _, _ = load_checkpoint(out)
        torch.testing.assert_close(exported(ids), expected, rtol=1e-3, atol=1e-3)

    # when the run resumes, then it continues from its step over the packed base
    again = train(tiny_config(tmp_path, *common, "train.max_iters=6", "train.resume=true",
                              shape=False))
    assert again.steps == 6
