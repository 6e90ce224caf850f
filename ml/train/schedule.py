"""Optimizer and learning-rate schedule construction.

Schedules are torch.optim.lr_scheduler pieces chained with SequentialLR: a LinearLR warmup,
then the decay, then (for decays that end before training does) a hold at min_lr. Their
state dicts hold only numbers, so they load with `torch.load(weights_only=True)`.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.optim import lr_scheduler

from ml.train.config import OptimConfig

# A hold phase that never ends on its own.
_FOREVER = 1 << 62


def build_optimizer(
    model: nn.Module, cfg: OptimConfig, device: torch.device, zero: bool = False
) -> torch.optim.Optimizer:
    """AdamW, fused when the device supports it; matrices decay, norms and biases don't."""
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    kwargs = {"lr": cfg.lr, "betas": (cfg.beta1, cfg.beta2)}
    # The fused kernel does the whole update in one pass; available on CUDA and CPU.
    if device.type in ("cuda", "cpu"):
        kwargs["fused"] = True
    if zero:
        from torch.distributed.optim import ZeroRedundancyOptimizer

        # ZeroRedundancyOptimizer takes one group at construction and the rest via add_param_group.
        optimizer = ZeroRedundancyOptimizer(
            decay, optimizer_class=torch.optim.AdamW, weight_decay=cfg.weight_decay, **kwargs
        )
        if no_decay:
            optimizer.add_param_group({"params": no_decay, "weight_decay": 0.0})
        return optimizer
    groups = [
        {"params": decay, "weight_decay": cfg.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, **kwargs)


def build_scheduler(
    optimizer: torch.optim.Optimizer, cfg: OptimConfig, max_iters: int
) -> lr_scheduler.LRScheduler:
    """The configured schedule, stepped once per optimizer step."""
    warmup = max(0, min(cfg.warmup_iters, max_iters))
    decay_end = cfg.decay_iters or max_iters
    floor = cfg.min_lr / cfg.lr if cfg.lr > 0 else 0.0
    if cfg.schedule == "one_cycle":
        # OneCycleLR has its own warmup (pct_start) and ends at min_lr.
        return lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=cfg.lr,
            total_steps=max(max_iters, 2),
            pct_start=max(warmup, 1) / max(max_iters, 2),
            div_factor=25.0,
            final_div_factor=cfg.lr / 25.0 / cfg.min_lr if cfg.min_lr > 0 else 1e4,
            cycle_momentum=False,
        )
    if cfg.schedule == "cyclic":
        # Each cycle ramps up from min_lr on its own, so no separate warmup.
        return lr_scheduler.CyclicLR(
            optimizer,
            base_lr=cfg.min_lr,
            max_lr=cfg.lr,
            step_size_up=cfg.cycle_iters,
            cycle_momentum=False,
        )
    length = max(1, decay_end - warmup)
    if cfg.schedule == "constant":
        return _with_warmup(optimizer, warmup, [lr_scheduler.ConstantLR(optimizer, 1.0, 0)])
    if cfg.schedule == "cosine":
        main = lr_scheduler.CosineAnnealingLR(optimizer, T_max=length, eta_min=cfg.min_lr)
    elif cfg.schedule == "linear":
        main = lr_scheduler.LinearLR(optimizer, 1.0, floor, total_iters=length)
    elif cfg.schedule == "polynomial":
        main = lr_scheduler.PolynomialLR(optimizer, total_iters=length, power=cfg.power)
        floor = 0.0  # polynomial decay ends at zero by definition
    else:
        raise ValueError(f"unknown schedule {cfg.schedule!r}")
    phases = [main]
    if decay_end < max_iters:
        phases.append(lr_scheduler.ConstantLR(optimizer, floor, total_iters=_FOREVER))
    return _with_warmup(optimizer, warmup, phases, [warmup + length])


def _with_warmup(
    optimizer: torch.optim.Optimizer,
    warmup: int,
    phases: list[lr_scheduler.LRScheduler],
    later_milestones: list[int] = (),
) -> lr_scheduler.LRScheduler:
    schedulers = list(phases)
    milestones = list(later_milestones)[: len(phases) - 1]
    if warmup > 0:
        # Matches nanoGPT's lr * (it + 1) / (warmup + 1) ramp.
        ramp = lr_scheduler.LinearLR(optimizer, 1.0 / (warmup + 1), 1.0, total_iters=warmup)
        schedulers = [ramp] + schedulers
        milestones = [warmup] + milestones
    if len(schedulers) == 1:
        return schedulers[0]
    return lr_scheduler.SequentialLR(optimizer, schedulers, milestones)
