"""The native decode step and prompt prefill against the PyTorch forward they replace: same
logits for every storage type, several sequences at different positions in one step, prompts in
chunks, steering, and clear errors."""

from __future__ import annotations

import pytest
import torch

from ml.infer.engine import Engine
from ml.infer.generate import prefill
from ml.infer.loader import load_model
from ml.infer.native import NativeDecoder
from ml.infer.steering import Steering
from ml.sou import read_sou
from tests.ml.infer.factories import sou_file

PROMPTS = ([5, 17, 42, 9, 3], [7, 7, 100], [11, 60, 2, 2, 2, 80, 31])


def _loaded(path):
    sou = read_sou(path)
    model = load_model(sou, torch.device("cpu"), torch.float32)
    model.setup_caches(4, 64, dtype=torch.float32, device=torch.device("cpu"))
    return sou, model


def _prefilled(model):
    """Every prompt prefilled into its own cache row; returns (next tokens, positions)."""
    tokens, positions = [], []
    for slot, prompt in enumerate(PROMPTS):
        logits = prefill(model, torch.tensor(prompt), slot)
        tokens.append(int(logits.argmax()))
        positions.append(len(prompt))
    return tokens, positions


def _torch_step(model, tokens, positions):
    ids = torch.tensor(tokens).view(-1, 1)
    return model(ids, torch.tensor(positions).view(-1, 1))[:, -1].float()


@pytest.fixture(scope="module", params=["F32", "F16", "Q8_0", "Q4_0", "Q4_1"])
def typed_sou(request, tmp_path_factory):
    # Grouped-query attention, biases on every projection and a tied head, as in small chat
    # models (SmolLM2 ties; Qwen2 has qkv biases).
    return sou_file(tmp_path_factory.mktemp(request.param), "llama", request.param, std=0.1,
                    attention_bias=True, tie_word_embeddings=request.param != "F32")


def test_native_step_gives_the_logits_of_the_pytorch_forward(typed_sou):
    # given three sequences prefilled at different lengths
    sou, model = _loaded(typed_sou)
    native = NativeDecoder.build(model)
    assert native is not None, "the native decoder should take this model"
    tokens, positions = _prefilled(model)
    # when each takes two steps natively, and the same steps run in PyTorch on a copy
    _, reference = _loaded(typed_sou)
    _prefilled(reference)
    for _ in range(2):
        got = native.decode(tokens, positions)
        expected = _torch_step(reference, tokens, positions)
        # then the logits agree to float rounding and pick the same next tokens
        torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
        assert got.argmax(-1).tolist() == expected.argmax(-1).tolist()
        tokens = got.argmax(-1).tolist()
        positions = [p + 1 for p in positions]


def test_native_prefill_gives_the_logits_and_cache_of_the_pytorch_prefill(typed_sou):
    # given the same model twice, one prefilling natively and one in PyTorch
    _, model = _loaded(typed_sou)
    _, reference = _loaded(typed_sou)
    native = NativeDecoder.build(model)
    for slot, prompt in enumerate(PROMPTS):
        # when each prompt runs into its own cache row, natively in chunks of 2 tokens
        got = native.prefill(prompt, slot, chunk=2)
        expected = prefill(reference, torch.tensor(prompt), slot)
        # then the next-token logits agree to float rounding
        torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
        assert int(got.argmax()) == int(expected.argmax())
    # and the keys and values written for later steps agree too
    for mine, theirs in zip(model.attention_layers(), reference.attention_layers(), strict=True):
        torch.testing.assert_close(mine.kv_cache.k_cache, theirs.kv_cache.k_cache,
                                   rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(mine.kv_cache.v_cache, theirs.kv_cache.v_cache,
                                   rtol=1e-4, atol=1e-4)


def test_prompt_chunking_changes_no_number(tmp_path):
    # given a Q4_0 model and a prompt longer than the smallest chunks
    path = sou_file(tmp_path, "llama", "Q4_0", std=0.1)
    _, model = _loaded(path)
    native = NativeDecoder.build(model)
    prompt = PROMPTS[2] * 3
    # when it is prefilled whole, then one token per call, into another row
    whole = native.prefill(prompt, 0)
    single = native.prefill(prompt, 1, chunk=1)
    # then the logits and the cached keys are bit for bit the same
    assert torch.equal(whole, single)
    cache = model.attention_layers()[-1].kv_cache.k_cache  # (rows, heads, positions, D)
    assert torch.equal(cache[0, :, :len(prompt)], cache[1, :, :len(prompt)])


def test_prefill_refuses_a_prompt_longer_than_the_cache(tmp_path):
    # given a model whose cache holds 64 positions
    _, model = _loaded(sou_file(tmp_path, "llama", "Q8_0"))
    native = NativeDecoder.build(model)
    # when / then: a 65-token prompt and an empty one are refused, naming the problem
    with pytest.raises(ValueError, match="positions 64..64 \\(cache 64\\)"):
        native.prefill([1] * 65, 0, chunk=64)
    with pytest.raises(ValueError, match="empty prompt"):
        native.prefill([], 0)
    with pytest.raises(ValueError, match="cache rows \\[4\\]"):
        native.prefill([1, 2], 4)


def test_a_sequence_gets_the_same_logits_alone_or_batched(tmp_path):
    # given a Q8_0 model with three sequences in the cache
    path = sou_file(tmp_path, "llama", "Q8_0", std=0.1)
    _, model = _loaded(path)
    native = NativeDecoder.build(model)
    tokens, positions = _prefilled(model)
    # when row 0 decodes alone, then again (same position, same cache) with the others
    alone = native.decode(tokens[:1], positions[:1])
    together = native.decode(tokens, positions)
    # then its logits are bit for bit the same, so batching never changes a greedy answer
    assert torch.equal(alone[0], together[0])


def test_steering_is_applied_per_row_as_in_pytorch(tmp_path):
    # given a model and a steering vector on its last block
    path = sou_file(tmp_path, "llama", "Q8_0", std=0.1)
    _, model = _loaded(path)
    _, reference = _loaded(path)
    vector = torch.randn(model.config.n_embd)
    steering = Steering(model.blocks, {1: vector}, None, torch.device("cpu"), torch.float32)
    torch_steering = Steering(reference.blocks, {1: vector}, None, torch.device("cpu"),
                              torch.float32)
    native = NativeDecoder.build(model, steering)
    tokens, positions = _prefilled(model)
    _prefilled(reference)
    # when rows are steered at different strengths (one not at all)
    strengths = [2.0, 0.0, -1.0]
    got = native.decode(tokens, positions, strengths)
    torch_steering.set_strengths(strengths)
    expected = _torch_step(reference, tokens, positions)
    # then each row moves exactly as the PyTorch hooks move it
    torch_steering.set_strengths([0.0, 0.0, 0.0])
    unsteered = _torch_step(reference, tokens, positions)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(got[1], unsteered[1], rtol=1e-4, atol=1e-4)
    assert not torch.allclose(got[0], unsteered[0], atol=1e-3)


def test_out_of_range_tokens_and_positions_are_refused(tmp_path):
    # given a model whose cache holds 64 positions
    _, model = _loaded(sou_file(tmp_path, "llama", "Q8_0"))
    native = NativeDecoder.build(model)
    vocab = model.config.vocab_size
    # when / then: a token outside the vocabulary, a position past the cache, too many rows
    with pytest.raises(ValueError, match="out of range"):
        native.decode([vocab], [0])
    with pytest.raises(ValueError, match="out of range"):
        native.decode([1], [64])
    with pytest.raises(ValueError, match="out of range"):
        native.decode([1] * 5, [0] * 5)


def test_engine_decodes_natively_and_writes_what_pytorch_writes(tmp_path):
    # given one engine on the native path and one forced onto the PyTorch path
    path = sou_file(tmp_path, "llama", "Q4_0", std=0.1)
    native_engine = Engine.load(path, device="cpu")
    torch_engine = Engine.load(path, device="cpu")
    torch_engine.scheduler.native = None
    assert native_engine.scheduler.native is not None
    # when both answer the same greedy prompt
    settings = {"max_tokens": 24, "temperature": 0, "ignore_eos": True}
    native_ids = [d.token_id for d in native_engine.stream("The quick brown fox", **settings)]
    torch_ids = [d.token_id for d in torch_engine.stream("The quick brown fox", **settings)]
    # then they write the same tokens
    assert native_ids == torch_ids


def test_gpt2_models_keep_the_pytorch_path(gpt2_sou):
    # given a GPT-2 family file (the native step covers the LLaMA family only)
    engine = Engine.load(gpt2_sou, device="cpu")
    # then the engine still decodes it, in PyTorch
    assert engine.scheduler.native is None
    assert engine.complete("The quick", max_tokens=4, temperature=0)
