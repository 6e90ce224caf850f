"""Forward with targets: the loss (and its gradients) equal cross-entropy over full logits,
whatever the chunking, the reduction, the wrapper (peft, DDP) or the head's trainability."""

import pytest
import torch
import torch.nn.functional as F

from ml.data.dataset import IGNORE_INDEX
from ml.models import build_model, head_loss
from tests.ml.models.factories import tiny_configs

CONFIG_IDS = ["gpt2", "gpt2-nobias", "llama-gqa", "llama-tied-qkvbias", "llama-linear-rope"]


def _batch(vocab: int, ignored: bool = True):
    generator = torch.Generator().manual_seed(1)
    idx = torch.randint(0, vocab, (3, 9), generator=generator)
    targets = torch.randint(0, vocab, (3, 9), generator=generator)
    if ignored:
        targets[0, :4] = IGNORE_INDEX  # a prompt
        targets[2, 7:] = IGNORE_INDEX  # padding
    return idx, targets


def _reference(model, idx, targets, reduction="mean"):
    logits = model(idx)  # (B, T, V)
    return F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=IGNORE_INDEX,
                           reduction=reduction)


def _grads(model):
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


# Eager runs score only the rows that have a target; compiled ones every row, zeroing the others.
SCORING = pytest.mark.parametrize("every_row", [False, True], ids=["kept-rows", "every-row"])


@pytest.mark.parametrize("config", tiny_configs(), ids=CONFIG_IDS)
@pytest.mark.parametrize("chunk_elements", [1 << 22, 97 * 2])  # one chunk, or rows in pairs
@SCORING
def test_loss_and_gradients_equal_cross_entropy_on_full_logits(config, chunk_elements, every_row, monkeypatch):
    # given a model and a batch with ignored targets, the head chunked either way
    monkeypatch.setattr(head_loss, "CHUNK_ELEMENTS", chunk_elements)
    monkeypatch.setattr(head_loss, "_scores_every_row", lambda: every_row)
    torch.manual_seed(0)
    model = build_model(config)
    idx, targets = _batch(config.vocab_size)

    # when the loss comes from the model and from full logits, each with its backward
    loss = model(idx, targets=targets)
    loss.backward()
    ours = _grads(model)
    model.zero_grad()
    expected = _reference(model, idx, targets)
    expected.backward()
    theirs = _grads(model)

    # then loss and every gradient agree
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-6)
    assert ours.keys() == theirs.keys()
    for name in ours:
        torch.testing.assert_close(ours[name], theirs[name], rtol=1e-4, atol=1e-6, msg=name)


@pytest.mark.parametrize("config", tiny_configs()[::2], ids=CONFIG_IDS[::2])
@SCORING
def test_per_token_losses_are_zero_at_ignored_targets_and_backpropagate(config, every_row, monkeypatch):
    # given a frozen head (the LoRA case) and weights on each token's loss
    monkeypatch.setattr(head_loss, "CHUNK_ELEMENTS", 97 * 4)
    monkeypatch.setattr(head_loss, "_scores_every_row", lambda: every_row)
    torch.manual_seed(0)
    model = build_model(config)
    model.lm_head.weight.requires_grad_(False)
    idx, targets = _batch(config.vocab_size)
    weights = torch.rand(targets.shape)

    # when per-token losses are weighted and summed, from the model and from full logits
    per_token = model(idx, targets=targets, reduction="none")
    (per_token * weights).sum().backward()
    ours = _grads(model)
    model.zero_grad()
    expected = _reference(model, idx, targets, reduction="none")
    (expected * weights).sum().backward()

    # then they are (B, T), zero where ignored, and agree with their gradients
    assert per_token.shape == targets.shape
    assert torch.all(per_token[targets == IGNORE_INDEX] == 0)
    torch.testing.assert_close(per_token, expected, rtol=1e-5, atol=1e-6)
    for name, grad in _grads(model).items():
        torch.testing.assert_close(ours[name], grad, rtol=1e-4, atol=1e-6, msg=name)


@SCORING
def test_no_targets_gives_zero_loss_not_nan(every_row, monkeypatch):
    # given a window whose targets are all ignored (inside a long prompt)
    monkeypatch.setattr(head_loss, "_scores_every_row", lambda: every_row)
    model = build_model(tiny_configs()[2])
    idx, targets = _batch(97)
    targets[:] = IGNORE_INDEX

    # when the loss is computed, then it is 0 and backward runs
    loss = model(idx, targets=targets)
    loss.backward()
    assert loss.item() == 0.0


def test_full_logits_are_never_held_at_once(monkeypatch):
    # given a head that records the size of every logits tensor it makes
    monkeypatch.setattr(head_loss, "CHUNK_ELEMENTS", 97 * 5)
    model = build_model(tiny_configs()[2])
    idx, targets = _batch(97, ignored=False)
    shapes = []
    original = head_loss.F.linear

    def recording_linear(x, w, b=None):
        out = original(x, w, b)
        if w is model.lm_head.weight:
            shapes.append(out.shape)
        return out

    monkeypatch.setattr(head_loss.F, "linear", recording_linear)

    # when the loss and its backward run
    model(idx, targets=targets).backward()

    # then the head scored at most five rows at a time
    assert shapes and max(s[0] for s in shapes) <= 5


def test_loss_through_peft_matches_and_trains_only_adapters():
    # given a LoRA-wrapped model
    from ml.train.lora import apply_lora

    torch.manual_seed(0)
    config = tiny_configs()[2]
    model = build_model(config)
    wrapped = apply_lora(model, {"r": 4, "alpha": 8, "dropout": 0.0,
                                 "target_modules": ["q_proj", "v_proj", "lm_head"]})
    for name, param in wrapped.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(param, std=0.1)  # a non-trivial adapter
    idx, targets = _batch(config.vocab_size)

    # when the loss comes through the wrapper and from its full logits
    loss = wrapped(idx, targets=targets)
    loss.backward()
    ours = _grads(wrapped)
    wrapped.zero_grad()
    _reference(wrapped, idx, targets).backward()

    # then they agree, and only adapter weights got gradients
    torch.testing.assert_close(loss, _reference(wrapped, idx, targets), rtol=1e-5, atol=1e-6)
    assert ours and all("lora_" in name for name in ours)
    for name, grad in _grads(wrapped).items():
        torch.testing.assert_close(ours[name], grad, rtol=1e-4, atol=1e-6, msg=name)


def test_loss_through_ddp_matches_the_plain_model(tmp_path):
    # given a model replicated by DistributedDataParallel (one gloo process)
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    torch.manual_seed(0)
    model = build_model(tiny_configs()[3])
    idx, targets = _batch(97)
    store = dist.FileStore(str(tmp_path / "store"), 1)
    dist.init_process_group("gloo", store=store, rank=0, world_size=1)
    try:
        # when the loss comes through the wrapper
        wrapped = DistributedDataParallel(model)
        loss = wrapped(idx, targets=targets)
        loss.backward()
    finally:
        dist.destroy_process_group()

    # then it equals the loss over full logits and gradients reached the weights
    torch.testing.assert_close(loss, _reference(model, idx, targets), rtol=1e-5, atol=1e-6)
    assert model.lm_head.weight.grad is not None


def test_inference_forward_is_unchanged():
    # given a model, when called without targets, then it returns full logits as before
    model = build_model(tiny_configs()[0])
    idx, _ = _batch(97)
    assert model(idx).shape == (3, 9, 97)
    assert model(idx, logits_at=torch.tensor([8, 8, 8])).shape == (3, 1, 97)


def test_trainable_head_backpropagates_under_bf16_autocast():
    # given a LayerNorm and a trainable fp32 head fed bf16 rows, as in CPU mixed precision
    torch.manual_seed(0)
    proj, norm, head = torch.nn.Linear(8, 8), torch.nn.LayerNorm(8), torch.nn.Linear(8, 97)
    hidden = torch.randn(3, 9, 8)
    _, targets = _batch(97)

    # when the chunked loss and its backward run, and the same over full logits
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = head_loss.head_loss(proj(hidden), norm, head, targets)
    loss.backward()
    ours = {n: p.grad.clone() for n, p in [("head", head.weight), ("proj", proj.weight)]}
    head.zero_grad()
    proj.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = head(norm(proj(hidden))).float()
    F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=IGNORE_INDEX).backward()

    # then the head and the layers below it got fp32 gradients that agree to bf16 precision
    assert ours["head"].dtype == torch.float32
    torch.testing.assert_close(ours["head"], head.weight.grad, rtol=5e-2, atol=5e-3)
    torch.testing.assert_close(ours["proj"], proj.weight.grad, rtol=5e-2, atol=5e-3)


def test_trainable_head_gradients_under_bf16_autocast_are_autocasts_own():
    # given a trainable head under bf16 autocast, its rows scored in one chunk
    torch.manual_seed(0)
    norm, head = torch.nn.LayerNorm(16), torch.nn.Linear(16, 97)
    hidden = torch.randn(3, 9, 16)
    _, targets = _batch(97, ignored=False)

    # when the chunked loss runs backward, and the same head as a plain layer under autocast
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = head_loss.head_loss(hidden, norm, head, targets)
    loss.backward()
    ours = (head.weight.grad.clone(), head.bias.grad.clone())
    head.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = head(norm(hidden)).float()
    F.cross_entropy(logits.transpose(1, 2), targets).backward()

    # then backward multiplied in bf16 as autocast does (not in fp32, several times slower
    # on GPUs): the weight's gradient is autocast's (the bias's is summed in fp32 here)
    torch.testing.assert_close(ours[0], head.weight.grad, rtol=1e-3, atol=1e-6)
    torch.testing.assert_close(ours[1], head.bias.grad, rtol=2e-2, atol=1e-4)


def test_accelerators_score_thousands_of_rows_at_once_cpus_hundreds():
    # given GPT-2's vocabulary
    vocab = 50304

    # when the head's chunk is sized for each kind of device
    cpu = head_loss.chunk_rows(vocab, torch.device("cpu"))
    gpu = head_loss.chunk_rows(vocab, torch.device("cuda", 0))

    # then a CPU keeps a chunk's logits small, a GPU gets matmuls big enough for its cores
    assert 50 <= cpu <= 500
    assert gpu >= 2048


@pytest.mark.parametrize("config", tiny_configs()[::2], ids=CONFIG_IDS[::2])
def test_the_compiled_loss_is_one_graph_with_no_wait_for_the_device(config):
    # given a model and a batch with a prompt and padding, as a fine-tune feeds it
    torch.manual_seed(0)
    model = build_model(config)
    idx, targets = _batch(config.vocab_size)
    torch._dynamo.reset()

    # when torch.compile traces the forward with its loss
    explained = torch._dynamo.explain(model)(idx, targets=targets)

    # then nothing breaks the graph (a data-dependent shape would, and sync every micro-batch)
    assert explained.graph_break_count == 0, explained.break_reasons
