"""Decoding with the static KV cache gives the logits of a full forward pass."""

import pytest
import torch

from ml.models import KVCache, build_model
from tests.ml.models.factories import tiny_configs

CONFIG_IDS = ["gpt2", "gpt2-nobias", "llama-gqa", "llama-tied-qkvbias", "llama-linear-rope"]


def full_logits(model, idx: torch.Tensor) -> torch.Tensor:
    model.clear_caches()
    with torch.no_grad():
        return model(idx)


@pytest.mark.parametrize("config", tiny_configs(), ids=CONFIG_IDS)
def test_prefill_then_token_by_token_decode_matches_a_full_forward(config):
    # given a model, a batch of sequences and their full-forward logits
    torch.manual_seed(0)
    model = build_model(config).eval()
    idx = torch.randint(0, config.vocab_size, (2, 14))
    expected = full_logits(model, idx)

    # when the first 6 tokens are prefilled and the rest decoded one at a time
    model.setup_caches(max_batch_size=3, max_seq_len=20)
    with torch.no_grad():
        steps = [model(idx[:, :6], torch.arange(6))]
        for t in range(6, 14):
            steps.append(model(idx[:, t : t + 1], torch.tensor([t])))

    # then every position's logits match
    torch.testing.assert_close(torch.cat(steps, dim=1), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("config", tiny_configs(), ids=CONFIG_IDS)
def test_rows_at_different_positions_decode_together(config):
    # given two sequences, the first 3 tokens further along than the second
    torch.manual_seed(0)
    model = build_model(config).eval()
    idx = torch.randint(0, config.vocab_size, (2, 12))
    expected = full_logits(model, idx)
    model.setup_caches(max_batch_size=2, max_seq_len=16)
    with torch.no_grad():
        model(idx[:, :4], torch.arange(4))  # both rows prefilled with 4 tokens
        model(idx[:1, 4:7], torch.arange(4, 7))  # row 0 alone advances to position 7

        # when both rows decode in one batch, each at its own position
        outputs = []
        for step in range(5):
            pos = torch.tensor([[7 + step], [4 + step]])  # (B, T)
            tokens = torch.stack([idx[0, 7 + step], idx[1, 4 + step]]).unsqueeze(1)
            outputs.append(model(tokens, pos))

    # then each row gets the logits of its own full forward pass
    for step, logits in enumerate(outputs):
        torch.testing.assert_close(logits[0, 0], expected[0, 7 + step], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(logits[1, 0], expected[1, 4 + step], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    "config", tiny_configs()[::2], ids=["gpt2", "llama-gqa", "llama-linear-rope"]
)
def test_a_new_sequence_prefilled_into_a_used_slot_ignores_the_old_one(config):
    # given a cache whose slot 1 held a long sequence while slot 0 holds another
    torch.manual_seed(0)
    model = build_model(config).eval()
    old = torch.randint(0, config.vocab_size, (2, 13))
    new = torch.randint(0, config.vocab_size, (1, 8))
    expected_new = full_logits(model, new)
    expected_old = full_logits(model, old[:1])
    model.setup_caches(max_batch_size=2, max_seq_len=16)
    slot_1 = torch.tensor([1])
    with torch.no_grad():
        model(old[:, :12], torch.arange(12))

        # when a shorter sequence is prefilled into slot 1 only and decoded there,
        # and slot 0 then continues its own sequence
        prefill = model(new[:, :5], torch.arange(5), cache_rows=slot_1)
        decoded = [
            model(new[:, t : t + 1], torch.tensor([t]), cache_rows=slot_1) for t in range(5, 8)
        ]
        continued = model(old[:1, 12:], torch.tensor([12]), cache_rows=torch.tensor([0]))

    # then the new sequence's logits are its own and slot 0 was left untouched
    got = torch.cat([prefill, *decoded], dim=1)
    torch.testing.assert_close(got, expected_new, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(continued[0, 0], expected_old[0, 12], atol=1e-5, rtol=1e-5)


def test_cache_refuses_positions_beyond_its_length():
    # given a cache with room for 4 positions
    cache = KVCache(max_batch=1, max_seq_len=4, n_kv_head=1, head_dim=2)
    k = torch.zeros(1, 1, 1, 2)

    # when a key is written at position 4, then the error names the limit
    with pytest.raises(ValueError, match="max_seq_len 4"):
        cache.update(torch.tensor([4]), k, k)


def test_clear_caches_returns_to_plain_causal_attention():
    # given a model that decoded with caches
    torch.manual_seed(0)
    config = tiny_configs()[2]
    model = build_model(config).eval()
    idx = torch.randint(0, config.vocab_size, (1, 6))
    with torch.no_grad():
        expected = model(idx)
        model.setup_caches(1, 8)
        model(idx[:, :3], torch.arange(3))

        # when caches are cleared
        model.clear_caches()

        # then a full forward works as before
        torch.testing.assert_close(model(idx), expected)
