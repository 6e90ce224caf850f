"""Training throughput: our trainer against a bare PyTorch loop on nanoGPT's CPU example.

Trains the configuration in configs/nanogpt-shakespeare-char.toml (4 layers, 4 heads, 128 wide,
block 64, batch 12, character level, lr 1e-3 cosine to 1e-4 after 100 warmup steps) with
`ml.train.train`, then runs the same model, data and optimizer as a plain loop in the same
process (half before, half after), and prints one JSON line:

    {"ms_per_iter", "tokens_per_s", "val_loss", "iters", "bare_ms_per_iter", "ratio",
     "matmul_floor_ms"}

ms_per_iter counts training steps only (the trainer's evaluation and checkpoint time is
excluded); ratio = ms_per_iter / bare_ms_per_iter. matmul_floor_ms is what one step's matrix
products (forward, input and weight gradients of every linear layer) take on this machine when
each is timed alone: no step can be faster, so it tells a slow machine from slow code.

    python benchmarks/train_throughput.py --iters 2000 --threads 2
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ml.data import prepare_data
from ml.models import build_model, preset_config
from ml.train import load_train_config, train

CONFIG = REPO / "configs" / "nanogpt-shakespeare-char.toml"


def run_trainer(cfg) -> tuple[float, float]:
    """(seconds in training steps, final validation loss)."""
    result = train(cfg)
    return result.train_seconds, result.val_loss


class BareLoop:
    """A hand-written loop over the same model, batches, AdamW and lr as the trainer."""

    def __init__(self, cfg, iters: int):
        self.cfg, self.iters, self.it = cfg, iters, 0
        self.data = prepare_data(cfg.data)
        torch.manual_seed(cfg.train.seed)
        vocab = self.data.tokenizer.get_vocab_size()
        self.model = build_model(preset_config("nanogpt-char", vocab_size=vocab, dropout=0.0))
        self.model.train()
        opt = cfg.optim
        decay = [p for p in self.model.parameters() if p.dim() >= 2]
        no_decay = [p for p in self.model.parameters() if p.dim() < 2]
        self.optimizer = torch.optim.AdamW(
            [
                {"params": decay, "weight_decay": opt.weight_decay},
                {"params": no_decay, "weight_decay": 0.0},
            ],
            lr=opt.lr,
            betas=(opt.beta1, opt.beta2),
            fused=True,
        )
        self.batch = self.data.train.batch(cfg.train.batch_size, 64, cfg.train.seed, 0)

    def lr_at(self, it: int) -> float:  # nanoGPT's get_lr
        opt = self.cfg.optim
        if it < opt.warmup_iters:
            return opt.lr * (it + 1) / (opt.warmup_iters + 1)
        ratio = min(1.0, (it - opt.warmup_iters) / max(1, self.iters - opt.warmup_iters))
        return opt.min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (opt.lr - opt.min_lr)

    def run(self, steps: int) -> float:
        """Seconds for the next `steps` steps."""
        cfg, model, optimizer = self.cfg, self.model, self.optimizer
        x, y = self.batch
        start = time.perf_counter()
        for _ in range(steps):
            for group in optimizer.param_groups:
                group["lr"] = self.lr_at(self.it)
            logits = model(x)  # (B, T, V)
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
            self.it += 1
            x, y = self.data.train.batch(cfg.train.batch_size, 64, cfg.train.seed, self.it)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.optim.grad_clip)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        self.batch = (x, y)
        return time.perf_counter() - start


def matmul_floor_ms(model: torch.nn.Module, tokens: int) -> float:
    """Milliseconds of one step's linear-layer products, each timed alone (best of 7 runs)."""
    total = 0.0
    for layer in model.modules():
        if not isinstance(layer, torch.nn.Linear):
            continue
        out_features, in_features = layer.weight.shape
        x = torch.randn(tokens, in_features)  # (N, in)
        weight = torch.randn(out_features, in_features)  # (out, in)
        grad = torch.randn(tokens, out_features)  # (N, out)
        for a, b in ((x, weight.t()), (grad, weight), (grad.t(), x)):
            for _ in range(3):
                a @ b
            best = math.inf
            for _ in range(7):
                start = time.perf_counter()
                for _ in range(10):
                    a @ b
                best = min(best, (time.perf_counter() - start) / 10)
            total += best
    return 1000.0 * total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "shakespeare.txt"))
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    parser.add_argument(
        "--eval-iters", type=int, default=200, help="validation batches for the final val_loss"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as out:
        cfg = load_train_config(
            CONFIG,
            [
                f"data.path={json.dumps(str(Path(args.data).resolve()))}",
                f"data.cache_dir={json.dumps(str(Path(out) / 'cache'))}",
                f"train.out_dir={json.dumps(str(Path(out) / 'run'))}",
                f"train.max_iters={args.iters}",
                # One evaluation at the end, over enough batches for a stable number.
                f"train.eval_interval={args.iters}",
                f"train.eval_iters={args.eval_iters}",
                f"train.log_interval={max(1, min(args.iters, 100))}",
            ],
        )
        # Half the bare loop runs before the trainer and half after, so a change in the
        # machine's load during the run weighs on both sides alike.
        bare = BareLoop(cfg, args.iters)  # also tokenizes once, outside every timing
        bare_seconds = bare.run(args.iters // 2)
        seconds, val_loss = run_trainer(cfg)
        bare_seconds += bare.run(args.iters - args.iters // 2)
        floor_ms = matmul_floor_ms(bare.model, cfg.train.batch_size * 64)

    ms = 1000.0 * seconds / args.iters
    bare_ms = 1000.0 * bare_seconds / args.iters
    tokens = args.iters * cfg.train.batch_size * 64
    print(
        json.dumps(
            {
                "ms_per_iter": round(ms, 2),
                "tokens_per_s": round(tokens / seconds),
                "val_loss": round(val_loss, 4),
                "iters": args.iters,
                "bare_ms_per_iter": round(bare_ms, 2),
                "ratio": round(ms / bare_ms, 3),
                "matmul_floor_ms": round(floor_ms, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
