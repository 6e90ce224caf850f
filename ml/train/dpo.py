"""Direct Preference Optimization (Rafailov et al., 2023): training on (prompt, chosen, rejected)
pairs with the sigmoid loss against a frozen reference, the base model the run started from.

A DPO batch is (2B, T): B prompt + chosen rows, then the B prompt + rejected rows in the same
order, with targets only on the responses (see ml/data/packing.py). A row's log-probability is
the sum of its targets' log-probs, from the model's forward contract
`model(idx, targets=y, reduction="none")` (per-token NLL, 0 where nothing is predicted).

The reference is the policy with its LoRA adapters disabled (peft's `disable_adapter()`), or,
for a full fine-tune, a frozen copy of the base (no gradients, eval mode). Either way it runs
in eval mode, so it draws no random numbers and resuming stays exact. The policy's dropout is
off too unless `model.dropout` is set (the trainer sees to it, as TRL does), so before any
update both score a batch alike and every reward is 0.
"""

from __future__ import annotations

import contextlib
import copy

import torch
import torch.nn.functional as F
from torch import nn


def dpo_loss(
    policy_chosen_logps: torch.Tensor,
    policy_rejected_logps: torch.Tensor,
    ref_chosen_logps: torch.Tensor,
    ref_rejected_logps: torch.Tensor,
    beta: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(mean loss, chosen rewards (B,), rejected rewards (B,)) from four (B,) log-probs.

    A response's implicit reward is beta * (log pi(y|x) - log pi_ref(y|x)); the loss is
    -log sigmoid(chosen reward - rejected reward), averaged over the pairs.
    """
    chosen_rewards = beta * (policy_chosen_logps - ref_chosen_logps)  # (B,)
    rejected_rewards = beta * (policy_rejected_logps - ref_rejected_logps)  # (B,)
    loss = -F.logsigmoid(chosen_rewards - rejected_rewards).mean()
    return loss, chosen_rewards.detach(), rejected_rewards.detach()


def sequence_logps(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Log-probability of each row's targets: x, y (R, T) -> (R,)."""
    nll = model(x, targets=y, reduction="none")  # (R, T), 0 where y is ignored
    return -nll.float().sum(dim=-1)


class DpoObjective:
    """The DPO loss of a batch and the reward statistics the run logs."""

    def __init__(self, beta: float, policy: nn.Module, reference: nn.Module | None):
        self.beta = beta
        # The peft model whose adapters are switched off for the reference when `reference`
        # is None.
        self.policy = policy
        self.reference = reference

    @classmethod
    def for_run(
        cls, beta: float, policy: nn.Module, lora: bool, base: nn.Module, resumed: bool
    ) -> DpoObjective:
        """The objective of a run on `policy`: with LoRA the adapters switch off for the
        reference; else `base` is it when resuming (the policy has trained since), and a copy
        of the not yet trained policy otherwise."""
        if lora:
            return cls(beta, policy, None)
        reference = base if resumed else copy.deepcopy(policy)
        reference.requires_grad_(False)
        return cls(beta, policy, reference.eval())

    def to(self, device: torch.device) -> DpoObjective:
        if self.reference is not None:
            self.reference.to(device)
        return self

    def loss(
        self, forward: nn.Module, x: torch.Tensor, y: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """DPO loss of a (2B, T) batch through `forward` (the policy, maybe wrapped for DDP or
        compiled), and the batch's mean reward margin and reward accuracy."""
        pairs = x.size(0) // 2
        policy = sequence_logps(forward, x, y)  # (2B,)
        reference = self.reference_logps(x, y)  # (2B,)
        loss, chosen, rejected = dpo_loss(
            policy[:pairs], policy[pairs:], reference[:pairs], reference[pairs:], self.beta
        )
        stats = {
            "rewards/margin": (chosen - rejected).mean(),
            "rewards/accuracy": (chosen > rejected).float().mean(),
        }
        return loss, stats

    @torch.no_grad()
    def reference_logps(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        model = self.reference if self.reference is not None else self.policy
        adapters_off = (
            self.policy.disable_adapter() if self.reference is None else contextlib.nullcontext()
        )
        training = model.training
        model.eval()
        try:
            with adapters_off:
                return sequence_logps(model, x, y)
        finally:
            model.train(training)
