"""Multi-process training under torchrun: process-group setup, wrapping the model for DDP or
FSDP (ZeRO replicates the model with DDP and shards the optimizer), and turning sharded state
into the full state dicts checkpoints store (torch.distributed.checkpoint's state-dict API), and
the sharded copy of weights and optimizer state (`dcp.save`) a multi-process run resumes from at
any world size.

Without torchrun's environment (RANK, WORLD_SIZE) everything here is a no-op for one process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn


@dataclass
class DistEnv:
    rank: int
    local_rank: int
    world_size: int
    device: torch.device
    strategy: str  # "ddp", "fsdp" or "zero"

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init_distributed(device: str, strategy: str) -> DistEnv:
    """Join torchrun's process group (NCCL on GPUs, gloo on CPUs) and pick this rank's device."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    resolved = torch.device(device)
    if resolved.type == "cuda" and resolved.index is None:
        resolved = torch.device("cuda", local_rank)
    if resolved.type == "cuda":
        torch.cuda.set_device(resolved)
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if resolved.type == "cuda" else "gloo")
    return DistEnv(rank, local_rank, world_size, resolved, strategy)


def shutdown(env: DistEnv) -> None:
    if env.enabled and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def barrier(env: DistEnv) -> None:
    if env.enabled:
        dist.barrier()


def mean_across(value: torch.Tensor, env: DistEnv) -> torch.Tensor:
    if env.enabled:
        value = value.clone()
        dist.all_reduce(value, op=dist.ReduceOp.SUM)
        value /= env.world_size
    return value


def sum_across(value: torch.Tensor, env: DistEnv) -> torch.Tensor:
    if env.enabled:
        value = value.clone()
        dist.all_reduce(value, op=dist.ReduceOp.SUM)
    return value


def any_across(flag: bool, env: DistEnv) -> bool:
    """True on every process when it is True on any: a stop must be taken at the same step
    everywhere, or the others would wait forever in the next collective."""
    if not env.enabled:
        return flag
    value = torch.tensor(float(flag), device=env.device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def gather_objects(obj: Any, env: DistEnv) -> list[Any]:
    if not env.enabled:
        return [obj]
    result: list[Any] = [None] * env.world_size
    dist.all_gather_object(result, obj)
    return result


def wrap_model(model: nn.Module, env: DistEnv) -> nn.Module:
    """The module the training step calls: DDP, or FSDP2 with one shard unit per block."""
    if not env.enabled:
        return model
    if env.strategy == "fsdp":
        return shard_model(model)
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [env.device.index] if env.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=device_ids)


def shard_model(model: nn.Module) -> nn.Module:
    """FSDP2 in place: one shard unit per transformer block, then the rest (embeddings, final
    norm, head) as the root unit, so each block's weights are gathered only while it runs."""
    from torch.distributed.fsdp import fully_shard

    for block in _blocks(model):
        fully_shard(block)
    return fully_shard(model)


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside a DDP wrapper (FSDP2 shards in place, so there is nothing to unwrap)."""
    return getattr(model, "module", model) if _is_ddp(model) else model


def full_model_state(model: nn.Module, env: DistEnv) -> dict[str, torch.Tensor] | None:
    """FSDP: the whole state dict gathered to rank 0's CPU (None on other ranks)."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    options = StateDictOptions(full_state_dict=True, cpu_offload=True)
    state = get_model_state_dict(model, options=options)
    return state if env.is_main else None


def full_optimizer_state(
    model: nn.Module, optimizer: torch.optim.Optimizer, env: DistEnv
) -> dict[str, Any] | None:
    """The optimizer state as one process would hold it, on rank 0 (None on other ranks)."""
    if env.enabled and env.strategy == "fsdp":
        from torch.distributed.checkpoint.state_dict import (
            StateDictOptions,
            get_optimizer_state_dict,
        )

        options = StateDictOptions(full_state_dict=True, cpu_offload=True)
        state = get_optimizer_state_dict(model, optimizer, options=options)
        return state if env.is_main else None
    if env.enabled and env.strategy == "zero":
        optimizer.consolidate_state_dict(to=0)
    return optimizer.state_dict() if env.is_main else None


def load_optimizer_state(
    model: nn.Module, optimizer: torch.optim.Optimizer, state: dict[str, Any], env: DistEnv
) -> None:
    if env.enabled and env.strategy == "fsdp":
        from torch.distributed.checkpoint.state_dict import (
            StateDictOptions,
            set_optimizer_state_dict,
        )

        set_optimizer_state_dict(
            model, optimizer, state, options=StateDictOptions(full_state_dict=True)
        )
        return
    optimizer.load_state_dict(state)


def save_sharded(model: nn.Module, optimizer: torch.optim.Optimizer, directory: Path) -> None:
    """Every process writes its part of the weights and optimizer state (replicated tensors
    once) under names free of DDP/FSDP wrappers, so any world size can load them."""
    import torch.distributed.checkpoint as dcp

    dcp.save(_sharded_state(model, optimizer), checkpoint_id=str(directory))


def load_sharded(model: nn.Module, optimizer: torch.optim.Optimizer, directory: Path) -> None:
    """Loads what `save_sharded` wrote, resharded to this run's processes (or to one process
    without a process group)."""
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.state_dict import set_state_dict

    state = _sharded_state(model, optimizer)
    dcp.load(state, checkpoint_id=str(directory))
    set_state_dict(
        model, optimizer, model_state_dict=state["model"], optim_state_dict=state["optim"]
    )


def _sharded_state(model: nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    from torch.distributed.checkpoint.state_dict import get_state_dict

    model_state, optim_state = get_state_dict(model, optimizer)
    return {"model": model_state, "optim": optim_state}


def _blocks(model: nn.Module) -> list[nn.Module]:
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    return list(getattr(inner, "blocks", []))


def _is_ddp(model: nn.Module) -> bool:
    from torch.nn.parallel import DistributedDataParallel

    return isinstance(model, DistributedDataParallel)
