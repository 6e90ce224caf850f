"""The training loop: `train(cfg, callbacks) -> TrainResult`.

One step = `grad_accum` micro-batches forward/backward (under autocast when asked), gradient
clipping, a fused AdamW update and a scheduler step. The objective is the next-token loss, or with
`dpo.enabled` the DPO loss on preference pairs against the frozen base (ml/train/dpo.py). The next batch is fetched while the current
one is in flight, and the loss is read back to the host only every `log_interval` steps. Every
`eval_interval` steps the validation loss decides the `best` checkpoint and early stopping, and
`last` is saved with everything needed to resume exactly: optimizer, scheduler, RNG states and
the data position (under several processes also sharded with torch.distributed.checkpoint, so
it resumes at another world size).
"""

from __future__ import annotations

import contextlib
import functools
import math
import resource
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch

from ml.data import ExampleStream, PreparedData, TokenStream, prepare_data
from ml.data.tokenizer import tokenizer_hash
from ml.train import distributed as dist
from ml.train.checkpoint import (
    SHARDED_DIR,
    CheckpointMeta,
    load_checkpoint,
    load_training_state,
    model_weights,
    save_checkpoint,
)
from ml.train.config import TrainConfig
from ml.train.dpo import DpoObjective
from ml.train.lora import apply_lora, lora_settings
from ml.train.rng import capture_rng, restore_rng, seed_everything
from ml.train.schedule import build_optimizer, build_scheduler
from ml.train.setup import BaseModel, check_base_spec, fresh_model, load_base, with_dropout


@dataclass
class Callbacks:
    """How a caller watches and steers a run; every hook is optional."""

    # (step, {"loss", "lr", "tokens_per_s", "memory_mb"}) every log_interval steps and
    # (step, {"val_loss", "perplexity"}) after each evaluation; DPO runs log
    # "rewards/margin" and "rewards/accuracy" with the loss, and no perplexity.
    # tokens_per_s counts the input tokens of the micro-batches trained on, all processes
    # together: rows x their length, padding included (DPO rows are as long as their batch's
    # longest response pair, often shorter than block_size).
    on_metrics: Callable[[int, dict[str, float]], None] | None = None
    # Human-readable progress lines.
    on_log: Callable[[str], None] | None = None
    # Polled before every step; True saves `last` and ends the run.
    should_stop: Callable[[], bool] | None = None
    # (name, directory, step) once a checkpoint directory ("last" or "best") is complete in
    # place, on the process that wrote it (every process's shards of dcp/ included); the
    # directory stays as it is until the next save of that name.
    on_checkpoint: Callable[[str, Path, int], None] | None = None


@dataclass
class TrainResult:
    steps: int
    stopped: Literal["completed", "early_stopping", "cancelled"]
    loss: float | None  # last logged training loss
    val_loss: float | None  # last validation loss
    best_val_loss: float | None
    last_checkpoint: str | None
    best_checkpoint: str | None
    tokens: int  # input tokens trained on by all processes, padding included (see Callbacks)
    train_seconds: float  # time in training steps, without evaluation and checkpointing
    cut_examples: int = 0  # examples longer than a row, cut (preference pairs: prompt shortened)
    dropped_pairs: int = 0  # preference pairs left out: their responses do not fit a row


@dataclass
class _State:
    """What trainer_state.json records besides RNG states."""

    step: int = 0
    data_position: int = 0  # micro-batches consumed by all processes together
    tokens: int = 0
    best_val_loss: float | None = None
    val_loss: float | None = None
    evals_without_improvement: int = 0


def train(cfg: TrainConfig, callbacks: Callbacks | None = None) -> TrainResult:
    return _Run(cfg, callbacks or Callbacks()).execute()


class _Run:
    def __init__(self, cfg: TrainConfig, callbacks: Callbacks):
        self.cfg = cfg
        self.callbacks = callbacks
        self.loop = cfg.train
        self.out_dir = Path(self.loop.out_dir)
        self.env = dist.init_distributed(self.loop.device, self.loop.distributed)
        self.state = _State()
        self.rng_states: list[dict[str, Any]] | None = None
        self.eval_seconds = 0.0

    # ---- setup -------------------------------------------------------------------------

    def execute(self) -> TrainResult:
        try:
            self._setup()
            return self._loop()
        finally:
            dist.shutdown(self.env)

    def _setup(self) -> None:
        cfg, env = self.cfg, self.env
        seed_everything(cfg.train.seed)
        base = load_base(cfg.model.base, cfg.lora.base_type) if cfg.model.base else None
        if base is not None:
            check_base_spec(cfg.model)
            if cfg.data.tokenizer in ("char", "bpe"):
                raise ValueError('fine-tuning a base model needs data.tokenizer = "base"')
        elif cfg.dpo.enabled:
            raise ValueError("DPO needs a base model (model.base): it is the reference")
        _check_loop(cfg)
        self.data = self._prepare_data(base)
        resume_dir = self.out_dir / "last"
        resumed = self.loop.resume and (resume_dir / "trainer_state.json").is_file()
        model = self._resume_model(resume_dir) if resumed else self._initial_model(base)
        self.block_size = cfg.model.block_size or self.model_config.block_size
        if self.block_size > self.model_config.block_size:
            raise ValueError(
                f"model.block_size {self.block_size} exceeds the model's "
                f"{self.model_config.block_size}"
            )
        row = self.block_size + 1
        if self.data.pack(self.block_size):
            what = (
                "preference pairs longer than {row} tokens kept the end of their prompt"
                if cfg.dpo.enabled
                else "examples longer than {row} tokens were cut to fit"
            )
            self._log(f"{self.data.cut_examples} {what.format(row=row)}")
        if self.data.dropped_pairs:
            self._log(
                f"{self.data.dropped_pairs} preference pairs were left out: their responses do "
                f"not fit {row} tokens"
            )
        inner = model.get_base_model() if hasattr(model, "get_base_model") else model
        inner.set_gradient_checkpointing(cfg.model.gradient_checkpointing)
        self.dpo = None
        if cfg.dpo.enabled:
            lora = bool(self.lora)
            self.dpo = DpoObjective.for_run(cfg.dpo.beta, model, lora, base.model, resumed)
            self.dpo.to(env.device)
        self.model = model.to(env.device)
        self.model.train()
        wrapped = dist.wrap_model(self.model, env)
        self.wrapped = torch.compile(wrapped) if self.loop.compile else wrapped
        self.optimizer = build_optimizer(
            self.model, cfg.optim, env.device, zero=env.enabled and env.strategy == "zero"
        )
        self.scheduler = build_scheduler(self.optimizer, cfg.optim, self.loop.max_iters)
        self.dtype = _autocast_dtype(self.loop.precision, env.device, frozen_base=bool(self.lora))
        self.scaler = torch.amp.GradScaler(env.device.type) if self.dtype == torch.float16 else None
        if self.rng_states is not None:
            self._restore_training_state(resume_dir)
        else:
            # Dropout masks differ per process (their batches do too).
            seed_everything(cfg.train.seed + env.rank)

    def _prepare_data(self, base: BaseModel | None) -> PreparedData:
        # The first process fills the token cache; the others then just open it.
        base_tokenizer = base.as_base_tokenizer() if base else None
        if not self.env.is_main:
            dist.barrier(self.env)
        data = prepare_data(self.cfg.data, base_tokenizer, preference=self.cfg.dpo.enabled)
        if self.env.is_main:
            dist.barrier(self.env)
        self.eos_token_ids = (
            list(base.eos_token_ids)
            if base
            else ([data.eos_token_id] if data.eos_token_id is not None else [])
        )
        self.bos_token_id = base.bos_token_id if base else None
        return data

    def _initial_model(self, base: BaseModel | None):
        if base is not None:
            model = base.model
            dropout = self.cfg.model.dropout
            if dropout is None and self.cfg.dpo.enabled:
                # As TRL does by default: the reference runs without dropout, so a policy with
                # it would see rewards that are only noise, nonzero before any training.
                dropout = 0.0
            self.model_config = with_dropout(model, base.config, dropout)
        else:
            model, self.model_config = fresh_model(
                self.cfg.model, self.data.tokenizer.get_vocab_size()
            )
        self.lora = (
            lora_settings(self.cfg.lora, self.model_config.arch) if self.cfg.lora.enabled else None
        )
        return apply_lora(model, self.lora) if self.lora else model

    def _resume_model(self, directory: Path):
        model, tokenizer, meta = load_checkpoint(directory, merge_lora=False)
        if tokenizer_hash(tokenizer) != tokenizer_hash(self.data.tokenizer):
            raise ValueError(f"cannot resume {directory}: the data now gives a different tokenizer")
        self.model_config, self.lora = meta.model_config, meta.lora
        saved = meta.state
        self.state = _State(
            step=saved["step"],
            data_position=saved["data_position"],
            tokens=saved["tokens"],
            best_val_loss=saved["best_val_loss"],
            val_loss=saved["val_loss"],
            evals_without_improvement=saved["evals_without_improvement"],
        )
        self.rng_states = saved["rng"]
        self._log(f"resuming from {directory} at step {self.state.step}")
        return model

    def _restore_training_state(self, directory: Path) -> None:
        saved = load_training_state(directory)
        if (directory / SHARDED_DIR).is_dir():
            # Saved by several processes: resharded to however many this run has.
            dist.load_sharded(self.wrapped, self.optimizer, directory / SHARDED_DIR)
        else:
            dist.load_optimizer_state(self.wrapped, self.optimizer, saved["optimizer"], self.env)
        self.scheduler.load_state_dict(saved["scheduler"])
        if self.scaler is not None and saved.get("scaler"):
            self.scaler.load_state_dict(saved["scaler"])
        restore_rng(self.rng_states[self.env.rank % len(self.rng_states)])

    # ---- the loop ----------------------------------------------------------------------

    def _loop(self) -> TrainResult:
        loop, env, state = self.loop, self.env, self.state
        accum, world = loop.grad_accum, env.world_size
        fsdp = env.enabled and env.strategy == "fsdp"
        ddp = env.enabled and not fsdp
        should_stop = self.callbacks.should_stop or (lambda: False)
        stopped, last_loss = "completed", None

        x, y = self._fetch(self.data.train, state.data_position + env.rank)
        self.unsynced_tokens = self.window_tokens = 0
        loss_sum = torch.zeros((), device=env.device)
        stat_sums: dict[str, torch.Tensor] = {}  # the objective's other statistics
        window_steps, window_start = 0, time.perf_counter()
        run_start = window_start
        while state.step < loop.max_iters:
            if dist.any_across(should_stop(), env):
                stopped = "cancelled"
                break
            for micro in range(accum):
                sync = micro == accum - 1
                if fsdp:
                    self.wrapped.set_requires_gradient_sync(sync)
                no_sync = self.wrapped.no_sync() if ddp and not sync else contextlib.nullcontext()
                self.unsynced_tokens += x.numel()  # shapes only: no device sync
                with no_sync:
                    with self._autocast():
                        loss, stats = self._objective(x, y)
                        loss = loss / accum
                    # Fetch the next micro-batch while this one's backward runs (async on GPUs).
                    ahead = (micro + 1) * world if not sync else accum * world
                    x, y = self._fetch(self.data.train, state.data_position + ahead + env.rank)
                    if self.scaler is not None:
                        self.scaler.scale(loss).backward()
                    else:
                        loss.backward()
                loss_sum += loss.detach()
                for name, value in stats.items():
                    stat_sums[name] = stat_sums.get(name, 0) + value.detach() / accum
            self._optimizer_step()
            state.step += 1
            state.data_position += accum * world
            window_steps += 1

            if state.step % loop.log_interval == 0 or state.step == loop.max_iters:
                last_loss = dist.mean_across(loss_sum, env).item() / window_steps
                elapsed = time.perf_counter() - window_start
                stats = {
                    name: dist.mean_across(total, env).item() / window_steps
                    for name, total in stat_sums.items()
                }
                self._sync_tokens()
                self._report_train(last_loss, stats, self.window_tokens, elapsed)
                loss_sum.zero_()
                stat_sums.clear()
                window_steps, window_start = 0, time.perf_counter()
                self.window_tokens = 0

            evaluate = loop.eval_interval > 0 and state.step % loop.eval_interval == 0
            if evaluate or state.step == loop.max_iters:
                eval_start = time.perf_counter()
                if self._evaluate_and_save():
                    stopped = "early_stopping"
                self.eval_seconds += time.perf_counter() - eval_start
                window_start += time.perf_counter() - eval_start
                if stopped == "early_stopping":
                    break

        train_seconds = time.perf_counter() - run_start - self.eval_seconds
        if stopped == "cancelled" or (state.step == 0 and stopped == "completed"):
            self._save("last", resumable=True)
        self._log(f"{stopped} at step {state.step}")
        best = self.out_dir / "best"
        return TrainResult(
            steps=state.step,
            stopped=stopped,
            loss=last_loss,
            val_loss=state.val_loss,
            best_val_loss=state.best_val_loss,
            last_checkpoint=str(self.out_dir / "last"),
            best_checkpoint=str(best) if best.exists() else None,
            tokens=state.tokens,
            train_seconds=train_seconds,
            cut_examples=self.data.cut_examples,
            dropped_pairs=self.data.dropped_pairs,
        )

    def _optimizer_step(self) -> None:
        clip = self.cfg.optim.grad_clip
        if self.scaler is not None:
            if clip > 0:
                self.scaler.unscale_(self.optimizer)
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), clip)
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            if clip > 0:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), clip)
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.scheduler.step()

    def _objective(
        self, x: torch.Tensor, y: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The batch's loss (next-token or DPO) and the objective's other statistics."""
        if self.dpo is not None:
            return self.dpo.loss(self.wrapped, x, y)
        return self.wrapped(x, targets=y), {}

    def _fetch(
        self, stream: TokenStream | ExampleStream, index: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = stream.batch(self.loop.batch_size, self.block_size, self.loop.seed, index)
        if self.env.device.type == "cuda":
            # Pinned host memory lets the copy overlap with compute.
            return (
                x.pin_memory().to(self.env.device, non_blocking=True),
                y.pin_memory().to(self.env.device, non_blocking=True),
            )
        return x, y

    def _autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.env.device.type, dtype=self.dtype)

    # ---- evaluation, checkpoints, reporting --------------------------------------------

    @torch.no_grad()
    def _validation_loss(self) -> float:
        """Mean loss over `eval_iters` fixed validation batches, split across processes."""
        env, stream = self.env, self.data.val
        self.model.eval()
        total = torch.zeros((), device=env.device)
        for index in range(env.rank, self.loop.eval_iters, env.world_size):
            x, y = self._fetch(stream, index)
            with self._autocast():
                total += self._objective(x, y)[0].float()
        self.model.train()
        return dist.sum_across(total, env).item() / max(self.loop.eval_iters, 1)

    def _evaluate_and_save(self) -> bool:
        """Validate, save `last` (and `best` on a new low); True when patience has run out."""
        state = self.state
        val_loss = self._validation_loss()
        state.val_loss = val_loss
        improved = state.best_val_loss is None or val_loss < state.best_val_loss
        if improved:
            state.best_val_loss = val_loss
            state.evals_without_improvement = 0
        else:
            state.evals_without_improvement += 1
        if self.dpo is not None:  # a DPO loss is no language model's perplexity
            self._metrics({"val_loss": val_loss})
            self._log(f"step {state.step}: val loss {val_loss:.4f}")
        else:
            perplexity = math.exp(min(val_loss, 50.0))
            self._metrics({"val_loss": val_loss, "perplexity": perplexity})
            self._log(f"step {state.step}: val loss {val_loss:.4f}, perplexity {perplexity:.2f}")
        self._save("last", resumable=True)
        if improved:
            self._save("best", resumable=False)
        patience = self.loop.early_stopping_patience
        return patience > 0 and state.evals_without_improvement >= patience

    def _save(self, name: str, resumable: bool) -> None:
        # Every process takes part in gathering sharded state; the first one writes. A
        # multi-process run's resumable state is also saved sharded (dcp/), which every process
        # writes its part of, unless sharded_checkpoints is off; ZeRO's sharded optimizer is
        # gathered instead (the state-dict API does not take it).
        env = self.env
        if resumable:
            self._sync_tokens()
        sharded = None
        if resumable and env.enabled and env.strategy != "zero" and self.loop.sharded_checkpoints:
            sharded = self.out_dir / f".{name}.dcp-pending"
            if env.is_main:
                shutil.rmtree(sharded, ignore_errors=True)
            dist.barrier(env)
            dist.save_sharded(self.wrapped, self.optimizer, sharded)
        full_state = None
        if env.enabled and env.strategy == "fsdp":
            full_state = dist.full_model_state(self.model, env)
        weights, adapter = model_weights(self.model, full_state) if env.is_main else (None, None)
        training_state, rngs = None, None
        if resumable:
            optimizer_state = (
                None
                if sharded is not None
                else dist.full_optimizer_state(self.wrapped, self.optimizer, env)
            )
            rngs = dist.gather_objects(capture_rng(), env)
            training_state = {
                "optimizer": optimizer_state,
                "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict() if self.scaler is not None else None,
            }
        if env.is_main:
            state = self.state
            meta = CheckpointMeta(
                model_config=self.model_config,
                training=self.cfg.to_dict(),
                lora=self.lora,
                chat_template=self.data.chat_template,
                eos_token_ids=self.eos_token_ids,
                bos_token_id=self.bos_token_id,
                state={
                    "step": state.step,
                    "data_position": state.data_position,
                    "tokens": state.tokens,
                    "best_val_loss": state.best_val_loss,
                    "val_loss": state.val_loss,
                    "evals_without_improvement": state.evals_without_improvement,
                    "world_size": env.world_size,
                    "rng": rngs,
                }
                if resumable
                else None,
            )
            save_checkpoint(
                self.out_dir / name,
                weights=weights,
                meta=meta,
                tokenizer=self.data.tokenizer,
                adapter=adapter,
                training_state=training_state,
                sharded=sharded,
            )
            if self.callbacks.on_checkpoint:
                self.callbacks.on_checkpoint(name, self.out_dir / name, self.state.step)
        dist.barrier(env)

    def _sync_tokens(self) -> None:
        """Add the tokens counted by every process since the last call to the run's total and
        to the logging window's (at logging and saving, which every process reaches together)."""
        counted = torch.tensor(self.unsynced_tokens, dtype=torch.int64, device=self.env.device)
        tokens = int(dist.sum_across(counted, self.env).item())
        self.state.tokens += tokens
        self.window_tokens += tokens
        self.unsynced_tokens = 0

    def _report_train(
        self, loss: float, stats: dict[str, float], tokens: int, seconds: float
    ) -> None:
        loop = self.loop
        values = {
            "loss": loss,
            **stats,
            "lr": self.optimizer.param_groups[0]["lr"],
            "tokens_per_s": tokens / max(seconds, 1e-9),
            "memory_mb": _memory_mb(self.env.device),
        }
        self._metrics(values)
        extra = "".join(f", {name} {value:.4f}" for name, value in stats.items())
        self._log(
            f"step {self.state.step}/{loop.max_iters}: loss {loss:.4f}{extra}, "
            f"lr {values['lr']:.2e}, {values['tokens_per_s']:.0f} tok/s"
        )

    def _metrics(self, values: dict[str, float]) -> None:
        if self.env.is_main and self.callbacks.on_metrics:
            self.callbacks.on_metrics(self.state.step, values)

    def _log(self, line: str) -> None:
        if self.env.is_main and self.callbacks.on_log:
            self.callbacks.on_log(line)


def _check_loop(cfg: TrainConfig) -> None:
    loop = cfg.train
    for name in ("max_iters", "batch_size", "grad_accum", "log_interval", "eval_iters"):
        minimum = 0 if name == "max_iters" else 1
        if getattr(loop, name) < minimum:
            raise ValueError(f"train.{name} must be at least {minimum}, got {getattr(loop, name)}")


def _autocast_dtype(
    precision: str, device: torch.device, frozen_base: bool = False
) -> torch.dtype | None:
    """The autocast dtype, or None for plain fp32."""
    if precision == "auto":
        if device.type == "cuda" and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        # A frozen base (LoRA) only passes activations through, which bf16 carries well, and
        # CPUs with bf16 instructions multiply it about four times as fast as fp32; the
        # adapters and their optimizer stay fp32. Trained weights stay fp32 on CPUs.
        if device.type == "cpu" and frozen_base and cpu_has_native_bf16():
            return torch.bfloat16
        return None
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]


@functools.cache
def cpu_has_native_bf16() -> bool:
    """Whether this CPU multiplies bf16 in hardware (AVX512-BF16 or AMX); elsewhere bf16 is
    emulated and slower than fp32. Linux reports it in /proc/cpuinfo."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    # ru_maxrss is in KiB on Linux: the process's peak resident memory.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
