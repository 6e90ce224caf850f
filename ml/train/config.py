"""Everything a training run is told, as dataclasses loadable from TOML with `--set` overrides.

One TOML table per section: [model], [data], [optim], [train], [lora], [dpo]. Defaults reproduce
nanoGPT's CPU Shakespeare example.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ml.config import apply_overrides, from_dict, load_toml, to_dict
from ml.data.config import DataConfig

Schedule = Literal["constant", "cosine", "linear", "one_cycle", "cyclic", "polynomial"]


@dataclass
class ModelSpec:
    # Named shape from ml.models.PRESETS for a model trained from scratch.
    preset: str = "nanogpt-char"
    # Fine-tune from this instead: a .sou file, a Hugging Face directory, a .gguf file or a
    # checkpoint dir.
    base: str = ""
    # Overrides of the preset's shape; None keeps the preset's value.
    n_layer: int | None = None
    n_head: int | None = None
    n_embd: int | None = None
    block_size: int | None = None
    dropout: float | None = None
    # Recompute activations in backward: less memory for about a third more compute.
    gradient_checkpointing: bool = False


@dataclass
class OptimConfig:
    # Peak learning rate (AdamW).
    lr: float = 1e-3
    # Floor the decaying schedules end at.
    min_lr: float = 1e-4
    # Decoupled weight decay on matrices and embeddings (not on norms and biases).
    weight_decay: float = 0.1
    # AdamW betas; 0.99 suits the small batches of small models.
    beta1: float = 0.9
    beta2: float = 0.99
    # Max global gradient norm; 0 turns clipping off.
    grad_clip: float = 1.0
    # Learning-rate schedule after warmup.
    schedule: Schedule = "cosine"
    # Steps of linear warmup from near 0 to lr.
    warmup_iters: int = 100
    # Step the decay reaches min_lr at; 0 means train.max_iters. The lr then stays at min_lr.
    decay_iters: int = 0
    # Steps from min_lr up to lr (half a period) for the cyclic schedule.
    cycle_iters: int = 500
    # Exponent of the polynomial schedule (1.0 is linear decay to 0).
    power: float = 1.0


@dataclass
class LoopConfig:
    # Where checkpoints go: out_dir/last (resumable) and out_dir/best (lowest val loss).
    out_dir: str = "out"
    # Optimizer steps to run.
    max_iters: int = 2000
    # Sequences per micro-batch per process.
    batch_size: int = 12
    # Micro-batches per optimizer step per process (effective batch = batch * accum * procs).
    grad_accum: int = 1
    # Steps between validation runs (which also save `last` and maybe `best`).
    eval_interval: int = 250
    # Validation batches per evaluation.
    eval_iters: int = 20
    # Steps between training-loss reports (each costs one host sync).
    log_interval: int = 10
    # Evaluations without a new best validation loss before stopping; 0 never stops early.
    early_stopping_patience: int = 0
    # "auto": bf16 autocast on GPUs that support it, and for LoRA on CPUs with bf16
    # instructions (AVX512-BF16, AMX); else fp32. fp16 uses a GradScaler.
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    # "auto" picks the process's CUDA device when there is one, else the CPU.
    device: str = "auto"
    # Seeds weights, dropout and the batch order: two runs with one seed are identical.
    seed: int = 1337
    # torch.compile the model (faster steps on GPUs after a compile pause).
    compile: bool = False
    # How torchrun processes share the work: replicate (ddp), shard all state (fsdp), or
    # replicate the model and shard only the optimizer state (zero).
    distributed: Literal["ddp", "fsdp", "zero"] = "ddp"
    # Multi-process checkpoints keep their training state sharded (dcp/, each process writing
    # its part where it runs); False gathers it whole into rank 0's checkpoint instead, for
    # nodes that share no out_dir (it resumes at any world size either way).
    sharded_checkpoints: bool = True
    # Continue from out_dir/last if it exists.
    resume: bool = False


@dataclass
class LoraSpec:
    # Train low-rank adapters on a frozen base instead of every weight.
    enabled: bool = False
    # Rank of the adapter matrices.
    r: int = 8
    # Scale of the adapter output is alpha / r.
    alpha: int = 16
    # Dropout on the adapter input.
    dropout: float = 0.05
    # Linear layers that get adapters; empty means all attention and MLP projections.
    target_modules: list[str] = field(default_factory=list)
    # Keep the frozen base's linear weights packed in this block type ("Q8_0", "Q4_0", "Q4_1")
    # and train adapters over them: the CPU analogue of QLoRA. Empty keeps them in float32.
    base_type: str = ""


@dataclass
class DpoSpec:
    # Train on preference pairs (prompt, chosen, rejected) with the sigmoid DPO loss against
    # the frozen base as reference, instead of next-token loss on text.
    enabled: bool = False
    # Strength of the pull towards the reference: higher keeps the policy closer to it.
    beta: float = 0.1


@dataclass
class TrainConfig:
    model: ModelSpec = field(default_factory=ModelSpec)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: LoopConfig = field(default_factory=LoopConfig)
    lora: LoraSpec = field(default_factory=LoraSpec)
    dpo: DpoSpec = field(default_factory=DpoSpec)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        return from_dict(cls, data)

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)


def load_train_config(path: str | Path | None, overrides: list[str] = ()) -> TrainConfig:
    """A TOML file (or the defaults when None) with dotted `key=value` overrides applied.

    Relative data paths in the file are taken relative to the file, so a config runs from anywhere.
    """
    data = load_toml(path) if path else {}
    if path:
        _anchor_paths(data, Path(path).resolve().parent)
    return TrainConfig.from_dict(apply_overrides(data, list(overrides)))


def _anchor_paths(data: dict[str, Any], root: Path) -> None:
    for section, key in (("data", "path"), ("data", "val_path"), ("data", "order_by"),
                         ("data", "weight_by"), ("model", "base")):
        value = data.get(section, {}).get(key) if isinstance(data.get(section), dict) else None
        if isinstance(value, str) and value and not Path(value).is_absolute():
            data[section][key] = str((root / value).resolve())
