"""DPO: the sigmoid loss (checked against TRL's), and runs on preference pairs that learn to
prefer the chosen answers, with metrics, checkpoints and exact resume."""

import collections
import copy
import json
import math
import types

import pytest
import torch
from safetensors.torch import load_file

from ml.data import IGNORE_INDEX, prepare_data
from ml.train import Callbacks, train
from ml.train.config import LoraSpec
from ml.train.dpo import DpoObjective, dpo_loss, sequence_logps
from ml.train.lora import apply_lora, lora_settings
from ml.train.setup import load_base
from tests.ml.train.factories import tiny_config, trained_base, write_jsonl, write_preferences


def test_dpo_loss_is_the_sigmoid_of_the_reward_margin():
    # given log-probs where the policy moved towards the chosen answer
    policy_chosen, policy_rejected = torch.tensor([-1.0]), torch.tensor([-2.0])
    ref_chosen, ref_rejected = torch.tensor([-1.5]), torch.tensor([-1.5])

    # when the loss is taken with beta 0.5
    loss, chosen, rejected = dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, 0.5)

    # then rewards are beta * log-ratios and the loss is -log sigmoid(margin)
    assert chosen.item() == pytest.approx(0.25) and rejected.item() == pytest.approx(-0.25)
    assert loss.item() == pytest.approx(math.log1p(math.exp(-0.5)))


def test_dpo_loss_matches_trl_on_the_same_log_probs():
    # given per-token log-probs of B chosen then B rejected completions, and reference log-probs
    from trl import DPOTrainer

    torch.manual_seed(0)
    pairs, length, beta = 6, 7, 0.3
    per_token = -torch.rand(2 * pairs, length) * 3
    completion = torch.ones(2 * pairs, length + 1, dtype=torch.long)
    completion[:, :3] = 0  # the prompt
    ref_chosen, ref_rejected = -torch.rand(pairs) * 10, -torch.rand(pairs) * 10

    # when TRL's DPO trainer computes its sigmoid loss from them (its loss code, driven with
    # precomputed reference log-probs and a stand-in model returning these log-probs)
    def model(**_):
        zeros = torch.zeros(2 * pairs, length)
        return types.SimpleNamespace(
            log_probs=per_token * completion[:, 1:],
            entropy=zeros,
            mean_logits=zeros,
            is_top1=zeros.bool(),
        )

    model.training = True
    accelerator = types.SimpleNamespace(
        device=torch.device("cpu"), gather=lambda t: t, gather_for_metrics=lambda t: t
    )
    trainer = types.SimpleNamespace(
        model=model,
        accelerator=accelerator,
        aux_loss_enabled=False,
        ld_alpha=None,
        precompute_ref_logps=True,
        f_divergence_type="reverse_kl",
        loss_types=["sigmoid"],
        loss_weights=[1.0],
        beta=beta,
        label_smoothing=0.0,
        use_weighting=False,
        _metrics={"train": collections.defaultdict(list)},
        _total_train_tokens=0,
        _tp_size=1,
    )
    inputs = {
        "input_ids": torch.zeros(2 * pairs, length + 1, dtype=torch.long),
        "attention_mask": torch.ones(2 * pairs, length + 1, dtype=torch.long),
        "completion_mask": completion,
        "ref_chosen_logps": ref_chosen,
        "ref_rejected_logps": ref_rejected,
    }
    trl_loss = DPOTrainer._compute_loss(trainer, model, inputs, False)
    trl_metrics = trainer._metrics["train"]

    # and ours from the same sequence log-probs
    logps = (per_token * completion[:, 1:]).sum(dim=1)
    loss, chosen, rejected = dpo_loss(logps[:pairs], logps[pairs:], ref_chosen, ref_rejected, beta)

    # then loss, rewards, margins and accuracies agree
    assert loss.item() == pytest.approx(trl_loss.item(), rel=1e-6)
    assert chosen.mean().item() == pytest.approx(trl_metrics["rewards/chosen"][0], rel=1e-6)
    assert rejected.mean().item() == pytest.approx(trl_metrics["rewards/rejected"][0], rel=1e-6)
    margin = (chosen - rejected).mean().item()
    assert margin == pytest.approx(trl_metrics["rewards/margins"][0], rel=1e-6)
    accuracy = (chosen > rejected).float().mean().item()
    assert accuracy == pytest.approx(trl_metrics["rewards/accuracies"][0])


def dpo_config(tmp_path, base, *overrides):
    return tiny_config(
        tmp_path,
        f"model.base='{base}'",
        "data.tokenizer='base'",
        "dpo.enabled=true",
        "dpo.beta=0.5",
        "model.block_size=48",
        "optim.lr=3e-3",
        "optim.warmup_iters=0",
        "optim.schedule='constant'",
        *overrides,
        data=write_preferences(tmp_path / "prefs.jsonl"),
        shape=False,
    )


@pytest.mark.parametrize("method", ["full", "lora"])
def test_dpo_run_learns_to_prefer_the_chosen_answers(tmp_path, method):
    # given a base that says "yes" and "no" alike, and pairs preferring "yes"
    base = trained_base(tmp_path / "base")
    lora = ["lora.enabled=true", "lora.r=8", "lora.alpha=16"] if method == "lora" else []
    cfg = dpo_config(tmp_path / "dpo", base, "train.max_iters=20", "train.eval_interval=5", *lora)
    metrics, lines = [], []

    # when trained with DPO
    result = train(
        cfg, Callbacks(on_metrics=lambda s, v: metrics.append((s, v)), on_log=lines.append)
    )

    # then reward accuracy and margin rise, and the held-out DPO loss falls below log 2 (where
    # the policy equals its reference) and picks the best checkpoint
    logged = [v for _, v in metrics if "loss" in v]
    assert {"loss", "rewards/margin", "rewards/accuracy", "lr"} <= set(logged[0])
    assert logged[-1]["rewards/accuracy"] == 1.0
    assert logged[-1]["rewards/margin"] > logged[0]["rewards/margin"] + 0.5
    assert logged[-1]["loss"] < logged[0]["loss"]
    val = [v["val_loss"] for _, v in metrics if "val_loss" in v]
    assert "perplexity" not in metrics[-1][1]
    assert val[-1] < math.log(2) and result.best_val_loss == min(val)
    assert result.best_checkpoint is not None
    assert any("rewards/margin" in line for line in lines)


@pytest.mark.parametrize("method", ["full", "lora"])
def test_reference_log_probs_are_the_base_models_while_the_policy_moves(tmp_path, method):
    # given a base model, a policy made from it whose weights have moved, and a batch
    base = load_base(str(trained_base(tmp_path / "base")))
    untouched = copy.deepcopy(base.model).eval()
    lora = method == "lora"
    policy = apply_lora(base.model, lora_settings(LoraSpec(), "gpt2")) if lora else base.model
    objective = DpoObjective.for_run(0.1, policy, lora, base.model, resumed=False)
    with torch.no_grad():
        for name, param in policy.named_parameters():
            if param.requires_grad:
                param.add_(torch.randn_like(param) * 0.05)
    x = torch.randint(0, 20, (4, 12))
    y = torch.where(torch.arange(12) >= 6, torch.randint(0, 20, (4, 12)), IGNORE_INDEX)

    # when the objective takes reference and policy log-probs
    reference = objective.reference_logps(x, y)
    policy.eval()
    moved = sequence_logps(policy, x, y)

    # then the reference is still the base model's, and the policy's differ
    assert torch.allclose(reference, sequence_logps(untouched, x, y), atol=1e-5)
    assert not torch.allclose(moved, reference, atol=1e-3)


def test_dpo_turns_a_bases_dropout_off_so_rewards_start_at_zero(tmp_path):
    # given a base trained with dropout, fine-tuned by DPO without saying model.dropout
    base = trained_base(tmp_path / "base", "model.dropout=0.3")
    cfg = dpo_config(tmp_path / "dpo", base, "train.max_iters=1", "train.log_interval=1")
    metrics = []

    # when one step is taken
    train(cfg, Callbacks(on_metrics=lambda s, v: metrics.append(v)))

    # then the policy scored the first batch as its reference did: no reward either way, and
    # the loss is log 2
    first = metrics[0]
    assert first["rewards/margin"] == 0.0 and first["rewards/accuracy"] == 0.0
    assert first["loss"] == pytest.approx(math.log(2), abs=1e-6)


def test_dpo_run_counts_the_tokens_of_the_rows_it_trained_on(tmp_path):
    # given a DPO run of 3 steps of 2 micro-batches of 4 pairs, whose rows (chosen and
    # rejected, as long as the batch's longest) are shorter than block_size
    base = trained_base(tmp_path / "base")
    cfg = dpo_config(tmp_path / "dpo", base, "train.max_iters=3", "train.grad_accum=2")
    data = prepare_data(cfg.data, load_base(str(base)).as_base_tokenizer(), preference=True)
    data.pack(48)
    fetched = [data.train.batch(4, 48, cfg.train.seed, index)[0] for index in range(6)]
    metrics = []

    # when trained
    result = train(cfg, Callbacks(on_metrics=lambda s, v: metrics.append(v)))

    # then the run counts the tokens of those rows, not batch_size x block_size per micro-batch
    assert all(x.shape[0] == 8 and x.shape[1] < 48 for x in fetched)
    assert result.tokens == sum(x.numel() for x in fetched)
    assert all(v["tokens_per_s"] > 0 for v in metrics if "tokens_per_s" in v)


def test_dpo_run_keeps_the_end_of_long_prompts_and_leaves_out_responses_too_long(tmp_path):
    # given pairs, one with a prompt longer than a row, one with a response longer than a row,
    # each twice so both splits have one
    base = trained_base(tmp_path / "base")
    long_prompt = {"prompt": "the " * 30, "chosen": "yes", "rejected": "no"}
    long_answer = {"prompt": "a fox", "chosen": "yes " * 20, "rejected": "no"}
    rows = [json.loads(line) for line in write_preferences(tmp_path / "p.jsonl").open()]
    data = write_jsonl(
        tmp_path / "prefs.jsonl", [long_prompt, long_answer, *rows, long_prompt, long_answer]
    )
    cfg = dpo_config(tmp_path / "dpo", base, "train.max_iters=2", f"data.path='{data}'")
    lines = []

    # when trained
    result = train(cfg, Callbacks(on_log=lines.append))

    # then the run says how many pairs kept the end of their prompt and how many were left out
    assert (result.cut_examples, result.dropped_pairs) == (2, 2)
    assert "2 preference pairs longer than 49 tokens kept the end of their prompt" in lines
    assert "2 preference pairs were left out: their responses do not fit 49 tokens" in lines


def test_interrupted_and_resumed_dpo_run_equals_an_uninterrupted_one(tmp_path):
    # given a full fine-tune by DPO (its reference is a frozen copy of the base) with dropout
    base = trained_base(tmp_path / "base")
    settings = ("model.dropout=0.1", "train.grad_accum=2", "train.max_iters=7")
    settings += ("train.eval_interval=3",)
    straight = dpo_config(tmp_path / "a", base, *settings)
    interrupted = dpo_config(tmp_path / "b", base, *settings)

    # when one runs through and the other is cancelled after 4 steps, then resumed
    full = train(straight)
    polls = iter(range(100))
    first = train(interrupted, Callbacks(should_stop=lambda: next(polls) >= 4))
    assert first.stopped == "cancelled" and first.steps == 4
    interrupted.train.resume = True
    second = train(interrupted)

    # then the final weights and validation loss are identical (the reference is the base,
    # not the resumed policy)
    assert second.steps == 7 and second.stopped == "completed"
    a = load_file(tmp_path / "a" / "out" / "last" / "model.safetensors")
    b = load_file(tmp_path / "b" / "out" / "last" / "model.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert second.val_loss == full.val_loss


def test_dpo_needs_a_base_model_and_preference_records(tmp_path):
    # given DPO without a base, and DPO over plain text
    no_base = tiny_config(tmp_path / "a", "dpo.enabled=true")
    base = trained_base(tmp_path / "base")
    text = tiny_config(
        tmp_path / "b",
        f"model.base='{base}'",
        "data.tokenizer='base'",
        "dpo.enabled=true",
        shape=False,
    )

    # when trained, then each is refused with the reason
    with pytest.raises(ValueError, match="DPO needs a base model"):
        train(no_base)
    with pytest.raises(ValueError, match="corpus.txt:1: a text record cannot train with DPO"):
        train(text)
