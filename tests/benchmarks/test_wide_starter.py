"""benchmarks/wide_starter.py: the widened model computes what the original does in our engine,
and every one of its matrices takes a K-quant where the original's fall back to 32-block types."""

import torch

from benchmarks.wide_starter import max_logit_difference, widen_sou
from ml.models import build_model
from ml.sou import read_sou, write_sou
from ml.sou.constants import K_TYPES
from tests.ml.models.factories import tiny_llama


def _tiny_sou(path):
    """An F32 `.sou` of a random tiny LLaMA whose widths 256 doesn't divide (48 wide, 3 heads of
    16 over 1 kv head, ffn 80), with norm weights away from 1 so their rescaling shows."""
    torch.manual_seed(0)
    config = tiny_llama(n_embd=48, n_head=3, n_kv_head=1, head_dim=16, intermediate_size=80,
                        tie_word_embeddings=True)
    model = build_model(config)
    tensors = {name: param.detach() for name, param in model.named_parameters()}
    for name, tensor in tensors.items():
        if name.endswith("norm.weight"):
            tensor.uniform_(0.5, 1.5)
    return write_sou(path, config=config.to_dict(), tensors=tensors,
                     generation={"eos_token_ids": [2]}, provenance={"base_model": "tiny"})


def test_widened_model_gives_the_original_logits(tmp_path):
    # given a tiny model and its widened copy
    original = _tiny_sou(tmp_path / "tiny.sou")
    wide = widen_sou(original, tmp_path / "wide.sou")

    # when both score the same tokens in the engine
    difference = max_logit_difference(original, wide, torch.randint(0, 97, (1, 24)))

    # then the logits agree to float32 rounding, and the widths became super-block multiples
    assert difference < 1e-5
    with read_sou(wide) as sou:
        shape = {key: sou.config[key] for key in ("n_embd", "n_head", "n_kv_head",
                                                  "intermediate_size")}
    assert shape == {"n_embd": 256, "n_head": 48, "n_kv_head": 16, "intermediate_size": 256}


def test_every_widened_matrix_takes_a_k_quant(tmp_path):
    # given a tiny model and its widened copy
    original = _tiny_sou(tmp_path / "tiny.sou")
    wide = widen_sou(original, tmp_path / "wide.sou")

    # when both are written as Q4_K_M
    types = {}
    for name, path in (("original", original), ("wide", wide)):
        with read_sou(path) as sou:
            tensors = {info.name: sou.tensor(info.name, torch.float32) for info in sou.tensor_infos}
            quantized = write_sou(tmp_path / f"{name}.q4km.sou", config=sou.config, tensors=tensors,
                                  generation=sou.generation, provenance={}, qtype="Q4_K_M")
        with read_sou(quantized) as sou:
            types[name] = {info.type_name for info in sou.tensor_infos if len(info.shape) == 2}

    # then the original's matrices fall back to other types and the widened ones never do
    assert types["original"] - set(K_TYPES)
    assert types["wide"] <= set(K_TYPES)
