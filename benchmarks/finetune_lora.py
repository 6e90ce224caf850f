"""LoRA fine-tuning: our engine against transformers + peft on the same model, data and steps.

The GGUF (the starter SmolLM2-135M-Instruct) is imported once to an F32 `.sou` (what the
portal trains from) and a Q8_0 one. Each side then trains in its own process, so its peak RSS
(`ru_maxrss`) is its own: LoRA rank 16 (alpha 32, no dropout) on q/k/v/o and the MLP
projections, AdamW lr 2e-4, the same token windows of --data (sequence 256, batch 4, seeded
offsets), --threads threads. Ours runs `load_base` + `apply_lora` + `model(x, targets=y)`
(chunked head and loss), over the float base and over the base kept packed as Q8_0; the
reference runs transformers' GGUF loader (dequantized to float32, SDPA attention) + peft with
`labels=`. Ours runs in the precision the trainer's "auto" picks for LoRA (bf16 autocast over
the frozen base on CPUs with bf16 instructions, else fp32: `precision` in the JSON); the
reference runs twice, in its default fp32 and under the same bf16 autocast, so the like-for-like
figure is there too. Validation loss (ours) is measured on fixed held-out windows before and after.
A DPO step (ours, LoRA, the same batches read as 2 pairs of 256 tokens with the second half
as response; the reference log-probs come from the policy with adapters off) is timed too.
Prints one JSON line:

    {"steps", "checkpointing", "precision", "ms_per_step", "ref_ms_per_step", "speed_ratio",
     "peak_rss_mb", "ref_peak_rss_mb", "rss_ratio", "ref_bf16_ms_per_step",
     "ref_bf16_peak_rss_mb", "speed_ratio_vs_ref_bf16", "q8_ms_per_step", "q8_peak_rss_mb",
     "q8_rss_ratio", "dpo_ms_per_step", "val_loss_before", "val_loss_after", "q8_val_loss_after"}

ratios are ours / reference (goals: speed and RSS <= 0.8, Q8_0 RSS <= 0.6). --checkpointing
recomputes each block of ours in backward (the trainer's model.gradient_checkpointing): less
activation memory for more compute.

    python benchmarks/finetune_lora.py --model SmolLM2-135M-Instruct.Q4_1.gguf --steps 50
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
RANK, ALPHA, LR, SEED = 16, 32, 2e-4, 1337
VAL_BATCHES = 4


def windows(tokens: np.ndarray, steps: int, batch: int, seq: int, seed: int) -> np.ndarray:
    """(steps, batch, seq + 1) windows at seeded offsets: inputs and their next tokens."""
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(tokens) - seq - 1, size=(steps, batch))
    return np.stack([[tokens[s:s + seq + 1] for s in row] for row in starts]).astype(np.int64)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def autocast(dtype):
    return torch.autocast("cpu", dtype=dtype) if dtype is not None else contextlib.nullcontext()


def our_precision():
    """What the trainer's precision "auto" runs a LoRA step in on this CPU."""
    from ml.train.trainer import _autocast_dtype

    return _autocast_dtype("auto", torch.device("cpu"), frozen_base=True)


def timed_steps(step, batches: np.ndarray) -> float:
    """Median ms per step after the first (warm-up) step: the median, because the machine is
    shared and a burst of other work should not decide the figure."""
    step(torch.from_numpy(batches[0]))
    times = []
    for window in batches[1:]:
        start = time.perf_counter()
        step(torch.from_numpy(window))
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


def run_ours(args, base_type: str) -> dict:
    from ml.train.config import LoraSpec
    from ml.train.lora import apply_lora, lora_settings
    from ml.train.setup import load_base

    base = load_base(str(args.sou[base_type or "F32"]), base_type)
    spec = LoraSpec(enabled=True, r=RANK, alpha=ALPHA, dropout=0.0, target_modules=TARGETS,
                    base_type=base_type)
    base.model.set_gradient_checkpointing(args.checkpointing)
    model = apply_lora(base.model, lora_settings(spec, base.config.arch))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=LR)

    dtype = our_precision()

    def loss_of(window):
        with autocast(dtype):
            return model(window[:, :-1], targets=window[:, 1:])

    def step(window):
        loss_of(window).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    def val_loss():
        model.eval()
        with torch.no_grad():
            losses = [loss_of(torch.from_numpy(w)).item() for w in args.val]
        model.train()
        return sum(losses) / len(losses)

    before = val_loss()
    ms = timed_steps(step, args.train)
    return {"ms_per_step": ms, "val_loss_before": before, "val_loss_after": val_loss()}


def run_dpo(args) -> dict:
    """ms per DPO step: LoRA over the float base, each batch read as (batch / 2) pairs whose
    second halves are the responses, the reference being the policy with adapters off."""
    from ml.data.dataset import IGNORE_INDEX
    from ml.train.config import LoraSpec
    from ml.train.dpo import DpoObjective
    from ml.train.lora import apply_lora, lora_settings
    from ml.train.setup import load_base

    base = load_base(str(args.sou["F32"]))
    spec = LoraSpec(enabled=True, r=RANK, alpha=ALPHA, dropout=0.0, target_modules=TARGETS)
    base.model.set_gradient_checkpointing(args.checkpointing)
    model = apply_lora(base.model, lora_settings(spec, base.config.arch))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=LR)
    objective = DpoObjective(0.1, model, None)

    dtype = our_precision()

    def step(window):
        x, y = window[:, :-1], window[:, 1:].clone()
        y[:, :y.shape[1] // 2] = IGNORE_INDEX  # the prompt half
        with autocast(dtype):
            loss, _ = objective.loss(model, x, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return {"ms_per_step": timed_steps(step, args.train)}


def run_reference(args, dtype=None) -> dict:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(
        str(args.model.parent), gguf_file=args.model.name, torch_dtype=torch.float32,
        attn_implementation="sdpa")
    config = LoraConfig(r=RANK, lora_alpha=ALPHA, lora_dropout=0.0, target_modules=TARGETS)
    model = get_peft_model(model, config)
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=LR)

    def step(window):
        with autocast(dtype):
            loss = model(input_ids=window[:, :-1], labels=window[:, :-1]).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return {"ms_per_step": timed_steps(step, args.train)}


def child(args) -> None:
    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    arrays = np.load(args.batches)
    args.train, args.val = arrays["train"], arrays["val"]
    args.sou = {"F32": args.work / "base-F32.sou", "Q8_0": args.work / "base-Q8_0.sou"}
    if args.child == "reference":
        result = run_reference(args)
    elif args.child == "reference-bf16":
        result = run_reference(args, torch.bfloat16)
    elif args.child == "ours-dpo":
        result = run_dpo(args)
    else:
        result = run_ours(args, "Q8_0" if args.child == "ours-q8" else "")
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def spawn(args, side: str, work: Path) -> dict:
    command = [sys.executable, __file__, "--child", side, "--work", str(work),
               "--batches", str(work / "batches.npz"), "--model", str(args.model),
               "--threads", str(args.threads)] + (["--checkpointing"] if args.checkpointing else [])
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{side} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def prepare(args, work: Path) -> None:
    from tokenizers import Tokenizer

    from ml.sou import read_sou
    from ml.sou.convert import import_gguf

    for qtype in ("F32", "Q8_0"):
        import_gguf(args.model, work / f"base-{qtype}.sou", qtype)
    with read_sou(work / "base-F32.sou") as sou:
        tokenizer = Tokenizer.from_str(sou.tokenizer_json)
    text = args.data.read_text(encoding="utf-8")
    tokens = np.array(tokenizer.encode(text, add_special_tokens=False).ids, dtype=np.int64)
    split = int(len(tokens) * 0.9)
    np.savez(work / "batches.npz",
             train=windows(tokens[:split], args.steps + 1, args.batch, args.seq, SEED),
             val=windows(tokens[split:], VAL_BATCHES, args.batch, args.seq, SEED + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="the SmolLM2 .gguf file")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared/data/shakespeare.txt")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--checkpointing", action="store_true",
                        help="our runs recompute each block in backward (model.gradient_checkpointing)")
    parser.add_argument("--child", choices=("ours", "ours-q8", "ours-dpo", "reference", "reference-bf16"), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--batches", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.model = args.model.resolve()
    if args.child:
        child(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        prepare(args, work)
        ref = spawn(args, "reference", work)
        ref_bf16 = spawn(args, "reference-bf16", work)
        ours = spawn(args, "ours", work)
        q8 = spawn(args, "ours-q8", work)
        dpo = spawn(args, "ours-dpo", work)
    print(json.dumps({
        "steps": args.steps,
        "checkpointing": args.checkpointing,
        "precision": "bf16" if our_precision() is torch.bfloat16 else "fp32",
        "ms_per_step": round(ours["ms_per_step"], 1),
        "ref_ms_per_step": round(ref["ms_per_step"], 1),
        "speed_ratio": round(ours["ms_per_step"] / ref["ms_per_step"], 3),
        "peak_rss_mb": round(ours["peak_rss_mb"]),
        "ref_peak_rss_mb": round(ref["peak_rss_mb"]),
        "rss_ratio": round(ours["peak_rss_mb"] / ref["peak_rss_mb"], 3),
        "ref_bf16_ms_per_step": round(ref_bf16["ms_per_step"], 1),
        "ref_bf16_peak_rss_mb": round(ref_bf16["peak_rss_mb"]),
        "speed_ratio_vs_ref_bf16": round(ours["ms_per_step"] / ref_bf16["ms_per_step"], 3),
        "q8_ms_per_step": round(q8["ms_per_step"], 1),
        "q8_peak_rss_mb": round(q8["peak_rss_mb"]),
        "q8_rss_ratio": round(q8["peak_rss_mb"] / ref["peak_rss_mb"], 3),
        "dpo_ms_per_step": round(dpo["ms_per_step"], 1),
        "val_loss_before": round(ours["val_loss_before"], 4),
        "val_loss_after": round(ours["val_loss_after"], 4),
        "q8_val_loss_after": round(q8["val_loss_after"], 4),
    }))


if __name__ == "__main__":
    main()
