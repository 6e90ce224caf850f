"""The GPU path in one run: training throughput and MFU, FSDP2 on the device, and batched decode.

Prints one JSON line with three sections:

- "train": gpt2-small (124M, the `gpt2-small` preset, vocabulary 50304) trained by
  `ml.train.train` in bf16 autocast (torch.compile by default on CUDA) on random tokens;
  tokens/s over the logging windows after the first (which holds the compile) and MFU =
  flops per token x tokens/s / the device's peak bf16 FLOPS. Flops per token follow nanoGPT
  and PaLM: 6 x N (parameters without the position table) + 12 x layers x width x context
  for attention. Goal: MFU >= 0.40.
- "fsdp": the same model sharded by `ml.train.distributed.shard_model` (FSDP2 `fully_shard`,
  one unit per block) in a one-process group (NCCL on CUDA, gloo on CPU), fused AdamW from
  `build_optimizer`, bf16 autocast, eager: ms per step and peak memory.
- "decode": SmolLM2-135M (the starter GGUF given with --gguf, else random weights of its
  shape: decode speed does not depend on the values) through `Engine`'s continuous-batching
  scheduler, one stream then 8 streams together (benchmarks/infer_concurrency.py's timing),
  and their ratio, with eager decode steps and (where compiling is on) under "compiled" with
  torch.compile'd ones. Goal: ratio >= 3.

    python benchmarks/gpu_check.py                         # a CUDA host: about 5 minutes
    python benchmarks/gpu_check.py --gguf SmolLM2-135M-Instruct.Q4_1.gguf
    python benchmarks/gpu_check.py --device cpu --smoke    # every section tiny, for CI

Asked for CUDA where there is none, it says so and exits with status 2. A section that fails
is reported as {"error": ...} and the others still run (exit status 1); each section's result
also goes to stderr as it finishes, so a run cut off by a time limit keeps what it measured.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer, models
from torch.distributed.tensor import DTensor

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ml.infer.engine import Engine
from ml.models import build_model, preset_config
from ml.sou.convert import import_gguf
from ml.train import Callbacks, load_train_config, train
from ml.train import distributed as dist
from ml.train.config import OptimConfig
from ml.train.schedule import build_optimizer

try:  # run as a script from the repository root, or imported as benchmarks.gpu_check
    from infer_concurrency import random_sou, throughput
except ImportError:
    from benchmarks.infer_concurrency import random_sou, throughput

# Dense bf16 tensor-core peak in TFLOPS by device name, most specific name first (NVIDIA's
# data sheets; the PCIe and NVL boards run at lower clocks than the SXM ones).
PEAK_BF16_TFLOPS = (
    ("H100 PCIe", 756.0),
    ("H100 NVL", 835.0),
    ("H200 NVL", 835.0),
    ("H200", 989.0),
    ("H100", 989.0),
    ("A100", 312.0),
)
GOAL_MFU = 0.40
GOAL_DECODE_RATIO = 3.0
GPT2_VOCAB = 50304  # GPT-2's 50257 padded to a multiple of 64, as nanoGPT trains it


def sizes(smoke: bool) -> dict:
    """How big each section runs: the real shapes, or tiny ones that finish on a CPU."""
    if smoke:
        return {"vocab": 256, "shape": {"n_layer": 2, "n_head": 2, "n_embd": 64, "block_size": 32},
                "batch": 4, "accum": 1, "steps": 6, "log_every": 2, "fsdp_steps": 3,
                "decode_preset": "llama-tiny", "decode_tokens": 4}
    return {"vocab": GPT2_VOCAB, "shape": {"block_size": 1024}, "batch": 16, "accum": 2,
            "steps": 100, "log_every": 10, "fsdp_steps": 20, "decode_preset": "smollm2-135m",
            "decode_tokens": 128}


def peak_tflops(device: torch.device, given: float | None) -> float | None:
    if given is not None:
        return given
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((tflops for key, tflops in PEAK_BF16_TFLOPS if key in name), None)


def flops_per_token(config) -> tuple[int, int]:
    """(N, training flops per token): N counts parameters once (tied head = embedding) and
    leaves out the position table, which is a lookup, not a product."""
    with torch.device("meta"):
        model = build_model(config)
    n = model.num_params() - model.transformer.wpe.weight.numel()
    attention = 12 * config.n_layer * config.n_embd * config.block_size
    return n, 6 * n + attention


def random_tokens(directory: Path, vocab: int, count: int) -> tuple[Path, Path]:
    """A pre-tokenized corpus of uniform random ids and a word-level tokenizer covering them:
    throughput needs no real text, and the run needs no data on the GPU host."""
    tokens = directory / "tokens.bin"
    np.random.default_rng(0).integers(0, vocab, count, dtype=np.uint16).tofile(tokens)
    tokenizer = directory / "tokenizer.json"
    vocabulary = {f"t{i}": i for i in range(vocab)}
    tokenizer.write_text(Tokenizer(models.WordLevel(vocabulary, unk_token="t0")).to_str(),
                         encoding="utf-8")
    return tokens, tokenizer


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def train_section(device: torch.device, size: dict, compile_model: bool, peak: float | None,
                  work: Path) -> dict:
    """gpt2-small through the trainer; tokens/s after the first logging window."""
    start = time.perf_counter()
    block = size["shape"]["block_size"]
    tokens_per_step = size["batch"] * size["accum"] * block
    tokens, tokenizer = random_tokens(work, size["vocab"], tokens_per_step * (size["steps"] + 8))
    shape = [f"model.{key}={value}" for key, value in size["shape"].items()]
    cfg = load_train_config(None, [
        "model.preset='gpt2-small'", "model.dropout=0.0", *shape,
        f"data.path='{tokens}'", f"data.tokenizer='{tokenizer}'", "data.val_fraction=0.05",
        f"data.cache_dir='{work / 'cache'}'", f"train.out_dir='{work / 'run'}'",
        f"train.device='{device}'", "train.precision='bf16'",
        f"train.compile={'true' if compile_model else 'false'}",
        f"train.max_iters={size['steps']}", f"train.batch_size={size['batch']}",
        f"train.grad_accum={size['accum']}", f"train.log_interval={size['log_every']}",
        f"train.eval_interval={size['steps']}", "train.eval_iters=1",
        "optim.lr=6e-4", "optim.warmup_iters=10", "optim.beta2=0.95",
    ])
    windows: list[float] = []
    memory: list[float] = []

    def on_metrics(step: int, values: dict[str, float]) -> None:
        if "tokens_per_s" in values:
            windows.append(values["tokens_per_s"])
            memory.append(values["memory_mb"])

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    result = train(cfg, Callbacks(on_metrics=on_metrics))
    rate = statistics.median(windows[1:] or windows)
    config = preset_config("gpt2-small", vocab_size=size["vocab"], **size["shape"])
    params, per_token = flops_per_token(config)
    return {
        "model": "gpt2-small" if size["vocab"] == GPT2_VOCAB else "gpt2 (tiny smoke shape)",
        "params": params,
        "vocab_size": size["vocab"],
        "block_size": block,
        "tokens_per_step": tokens_per_step,
        "steps": result.steps,
        "precision": "bf16",
        "compile": compile_model,
        "tokens_per_s": round(rate, 1),
        "flops_per_token": per_token,
        "peak_tflops": peak,
        "mfu": round(per_token * rate / (peak * 1e12), 4) if peak else None,
        "memory_mb": round(max(memory), 1),
        "loss": round(result.loss, 4),
        "seconds": round(time.perf_counter() - start, 1),
    }


@contextlib.contextmanager
def one_process_group(device: torch.device):
    """A process group of world size 1 on this host, for FSDP without torchrun."""
    import torch.distributed as torch_dist

    with socket.socket() as probe:  # a free port for the rendezvous store
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = "nccl" if device.type == "cuda" else "gloo"
    torch_dist.init_process_group(backend, init_method=f"tcp://127.0.0.1:{port}", rank=0,
                                  world_size=1)
    try:
        yield backend
    finally:
        torch_dist.destroy_process_group()


def fsdp_section(device: torch.device, size: dict) -> dict:
    """Steps of the FSDP2-sharded model: the first ones warm up, the rest are timed."""
    start = time.perf_counter()
    torch.manual_seed(0)
    config = preset_config("gpt2-small", vocab_size=size["vocab"], dropout=0.0, **size["shape"])
    block, batch = config.block_size, size["batch"]
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    with one_process_group(device) as backend:
        model = dist.shard_model(build_model(config).to(device))
        # fully_shard turns every parameter into a DTensor; a plain tensor left means a
        # module FSDP never saw, which would be replicated instead.
        sharded = all(isinstance(p, DTensor) for p in model.parameters())
        optimizer = build_optimizer(model, OptimConfig(lr=6e-4, beta2=0.95), device)
        warmup, timed = 2, size["fsdp_steps"]
        for step in range(warmup + timed):
            if step == warmup:
                synchronize(device)
                timed_start = time.perf_counter()
            x = torch.randint(0, config.vocab_size, (batch, block + 1), device=device)
            with torch.autocast(device.type, dtype=torch.bfloat16):
                loss = model(x[:, :-1], targets=x[:, 1:])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        synchronize(device)
        seconds = time.perf_counter() - timed_start
    return {
        "world_size": 1,
        "backend": backend,
        "sharded": sharded,
        "tokens_per_step": batch * block,
        "step_ms": round(1000 * seconds / timed, 2),
        "tokens_per_s": round(batch * block * timed / seconds, 1),
        "memory_mb": round(peak_memory_mb(device), 1),
        "loss": round(loss.item(), 4),
        "seconds": round(time.perf_counter() - start, 1),
    }


def decode_rates(engine: Engine, tokens: int) -> dict:
    """Aggregate tok/s of one stream, then of 8 together, after a warm-up of both."""
    throughput(engine, 1, 8)  # warm-up: caches, kernels, the allocator (and compiles)
    throughput(engine, 8, 8)
    one = throughput(engine, 1, tokens)
    eight = throughput(engine, 8, tokens)
    return {"streams_1_tok_per_s": round(one, 1), "streams_8_tok_per_s": round(eight, 1),
            "ratio": round(eight / one, 2)}


def decode_section(device: torch.device, size: dict, gguf: Path | None, compiled: bool,
                   work: Path) -> dict:
    """One stream, then 8 together, through the engine's scheduler: eager decode steps, and
    with `compiled` also through torch.compile."""
    start = time.perf_counter()
    # Half precision on accelerators; on CPU float32, which the native decode kernels take.
    stored = "F16" if device.type == "cuda" else "F32"
    if gguf is not None:
        path = work / "smollm2.sou"
        import_gguf(gguf, path, stored)
        label = f"{gguf.name} as {stored}"
    else:
        path = random_sou(work, size["decode_preset"], stored)
        label = f"{size['decode_preset']} {stored} (random weights)"
    tokens = size["decode_tokens"]
    engine = Engine.load(path, device, max_batch=8, max_seq_len=512)
    report = {"model": label, "dtype": str(engine.dtype).removeprefix("torch."),
              "tokens_per_stream": tokens, **decode_rates(engine, tokens)}
    del engine
    report["compiled"] = None
    if compiled:
        engine = Engine.load(path, device, max_batch=8, max_seq_len=512, compile_decode=True)
        report["compiled"] = decode_rates(engine, tokens)
    report["seconds"] = round(time.perf_counter() - start, 1)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda (default), cuda:N or cpu")
    parser.add_argument("--smoke", action="store_true", help="tiny shapes and few steps")
    parser.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None,
                        help="torch.compile the trained model, and time compiled decode steps "
                             "beside eager ones (default: on CUDA only)")
    parser.add_argument("--peak-tflops", type=float, default=None,
                        help="the device's dense bf16 peak, for a device the table lacks")
    parser.add_argument("--gguf", type=Path, default=None,
                        help="SmolLM2-135M-Instruct GGUF to decode (default: random weights)")
    parser.add_argument("--only", nargs="+", choices=("train", "fsdp", "decode"),
                        help="run these sections only (default: all)")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print(f"gpu_check: --device {args.device} asked for CUDA, but this torch "
              f"({torch.__version__}) sees no CUDA device", file=sys.stderr)
        raise SystemExit(2)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    size = sizes(args.smoke)
    compile_model = device.type == "cuda" if args.compile is None else args.compile
    peak = peak_tflops(device, args.peak_tflops)
    sections = {
        "train": lambda work: train_section(device, size, compile_model, peak, work),
        "fsdp": lambda work: fsdp_section(device, size),
        # On CPU the native kernels take decode steps, so there is nothing to compile.
        "decode": lambda work: decode_section(device, size, args.gguf,
                                              compile_model and device.type == "cuda", work),
    }
    report = {
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "smoke": args.smoke,
    }
    start = time.perf_counter()
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for name, run in sections.items():
            if args.only and name not in args.only:
                continue
            (Path(tmp) / name).mkdir()
            try:
                report[name] = run(Path(tmp) / name)
            except Exception as exc:  # noqa: BLE001 - the other sections still get measured
                report[name] = {"error": f"{type(exc).__name__}: {exc}"}
                failed = True
            # A run cut off by its time limit still leaves the sections it finished.
            print(f"gpu_check: {name} {json.dumps(report[name])}", file=sys.stderr, flush=True)
    report["goals"] = {"mfu": GOAL_MFU, "decode_ratio": GOAL_DECODE_RATIO}
    report["seconds"] = round(time.perf_counter() - start, 1)
    print(json.dumps(report))
    if failed:
        raise SystemExit(1)

if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
