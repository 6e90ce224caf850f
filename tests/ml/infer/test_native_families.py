"""Which LLaMA-shaped families the native decode step takes: Mistral (and Phi-3, the same
network) while the served context fits its sliding window, with the PyTorch forward's logits;
families whose blocks the kernels do not compute keep the PyTorch path."""

from __future__ import annotations

import pytest
import torch

from ml.infer import kernels
from ml.infer.generate import prefill
from ml.infer.loader import load_model
from ml.infer.native import NativeDecoder
from ml.models import build_model
from ml.models.mistral import MistralConfig
from ml.models.mixtral import MixtralConfig
from ml.models.qwen3 import Qwen3Config
from ml.sou import read_sou
from ml.sou.api import write_sou

SHAPE = {"vocab_size": 101, "block_size": 64, "n_layer": 2, "n_head": 4, "n_kv_head": 2,
         "n_embd": 32, "intermediate_size": 48}
pytestmark = pytest.mark.skipif(kernels.load() is None, reason="native kernels unavailable")


def served(config, tmp_path, context: int = 32):
    """The config's random model written to a .sou and loaded as the engine loads it."""
    torch.manual_seed(0)
    model = build_model(config)
    with torch.no_grad():
        for param in model.parameters():
            param.normal_(0.0, 0.1)
    write_sou(tmp_path / "m.sou", config=config.to_dict(),
              tensors={n: p.detach() for n, p in model.named_parameters()},
              generation={}, provenance={})
    loaded = load_model(read_sou(tmp_path / "m.sou"), torch.device("cpu"), torch.float32)
    loaded.limit_positions(context)
    loaded.setup_caches(1, context)
    return loaded


def test_mistral_decodes_natively_with_the_pytorch_logits(tmp_path):
    # given a Mistral model served with a context inside its sliding window
    model = served(MistralConfig(**SHAPE, sliding_window=32), tmp_path)
    native = NativeDecoder.build(model)
    assert native is not None, "the native decoder should take this model"
    prompt = [5, 17, 42, 9, 3, 77]
    token = int(prefill(model, torch.tensor(prompt), 0).argmax())

    # when the next step runs natively and in PyTorch
    got = native.decode([token], [len(prompt)])
    expected = model(torch.tensor([[token]]), torch.tensor([[len(prompt)]]))[:, -1]

    # then both give the same logits
    torch.testing.assert_close(got, expected.detach(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("config", [
    MistralConfig(**SHAPE, sliding_window=8),
    Qwen3Config(**SHAPE),
    MixtralConfig(**SHAPE, n_experts=4),
], ids=["window-shorter-than-context", "qwen3", "mixtral"])
def test_blocks_the_kernels_do_not_compute_keep_the_pytorch_path(config, tmp_path):
    # given a model whose blocks differ from the kernels' LLaMA block
    model = served(config, tmp_path)

    # when a native decoder is asked for, then there is none (the engine keeps PyTorch)
    assert NativeDecoder.build(model) is None
