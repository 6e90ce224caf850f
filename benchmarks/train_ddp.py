"""Data-parallel training on one machine: 1 process against 2 (torchrun, gloo, DDP) with the
same tokens per step and the same steps, so both see the same batches.

Trains configs/nanogpt-shakespeare-char.toml (4 layers, 128 wide, block 64, batch 12, dropout 0)
on ../shared/data/shakespeare.txt: once in one process with grad_accum=2 and all the threads,
once as 2 processes with grad_accum=1 and an equal share of the threads each. Prints one JSON
line:

    {"iters", "tokens", "threads", "one_threads", "one": {"tokens_per_s", "val_loss"},
     "two": {"tokens_per_s", "val_loss"}, "ratio", "val_loss_delta"}

tokens_per_s counts training steps only (tokens / train_seconds, evaluation and checkpoints
excluded, torchrun's start-up too); ratio = two / one; val_loss_delta = two - one at the same
tokens (equal up to summation order: the two runs take identical optimizer steps).

    python benchmarks/train_ddp.py --iters 300 --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CONFIG = REPO / "configs" / "nanogpt-shakespeare-char.toml"


def overrides(out_dir: Path, iters: int, eval_iters: int) -> list[str]:
    return [f"train.out_dir='{out_dir}'", f"data.cache_dir='{out_dir / 'cache'}'",
            f"train.max_iters={iters}", f"train.eval_interval={iters}", f"train.eval_iters={eval_iters}",
            f"train.log_interval={max(1, iters // 10)}", f"optim.warmup_iters={min(100, iters // 10)}"]


def run(out_dir: Path, iters: int, eval_iters: int, processes: int, threads: int) -> dict:
    """Trains under `sloughgpt train` (torchrun for 2 processes); the result line."""
    sets = [*overrides(out_dir, iters, eval_iters), f"train.grad_accum={2 // processes}", "train.distributed='ddp'"]
    launcher = ([sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
                 "-m", "ml.cli"] if processes > 1 else [sys.executable, "-m", "ml.cli"])
    command = [*launcher, "train", "--config", str(CONFIG)]
    for item in sets:
        command += ["--set", item]
    env = dict(os.environ, OMP_NUM_THREADS=str(max(1, threads // processes)), PYTHONPATH=str(REPO))
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"tokens": result["tokens"], "tokens_per_s": round(result["tokens"] / result["train_seconds"], 1),
            "val_loss": round(result["val_loss"], 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iters", type=int, default=300)
    parser.add_argument("--eval-iters", type=int, default=50)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--one-threads", type=int, default=0,
                        help="threads of the one process (default --threads): 1 tells thread "
                        "contention on a loaded machine from the gain of a second process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        one = run(Path(tmp) / "one", args.iters, args.eval_iters, 1, args.one_threads or args.threads)
        two = run(Path(tmp) / "two", args.iters, args.eval_iters, 2, args.threads)
    assert one.pop("tokens") == (tokens := two.pop("tokens")), "the runs trained on different tokens"
    print(json.dumps({
        "iters": args.iters, "tokens": tokens, "threads": args.threads,
        "one_threads": args.one_threads or args.threads, "one": one, "two": two,
        "ratio": round(two["tokens_per_s"] / one["tokens_per_s"], 3),
        "val_loss_delta": round(two["val_loss"] - one["val_loss"], 5),
    }))


if __name__ == "__main__":
    main()
