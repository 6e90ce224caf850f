"""Training throughput: our trainer against a bare PyTorch loop on nanoGPT's CPU example.

Trains the configuration in configs/nanogpt-shakespeare-char.toml (4 layers, 4 heads, 128 wide,
block 64, batch 12, character level, lr 1e-3 cosine to 1e-4 after 100 warmup steps) with
`ml.train.train`, then runs the same model, data and optimizer as a plain loop in the same
process, and prints one JSON line:

    {"ms_per_iter", "tokens_per_s", "val_loss", "iters", "bare_ms_per_iter", "ratio"}

ms_per_iter counts training steps only (the trainer's evaluation and checkpoint time is
excluded); ratio = ms_per_iter / bare_ms_per_iter.

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


def run_bare(cfg, iters: int) -> float:
    """Seconds for `iters` steps of a hand-written loop: same model, batches, AdamW and lr."""
    data = prepare_data(cfg.data)
    torch.manual_seed(cfg.train.seed)
    config = preset_config("nanogpt-char", vocab_size=data.tokenizer.get_vocab_size(), dropout=0.0)
    model = build_model(config)
    model.train()
    opt = cfg.optim
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": opt.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=opt.lr,
        betas=(opt.beta1, opt.beta2),
        fused=True,
    )

    def lr_at(it: int) -> float:  # nanoGPT's get_lr
        if it < opt.warmup_iters:
            return opt.lr * (it + 1) / (opt.warmup_iters + 1)
        ratio = (it - opt.warmup_iters) / max(1, iters - opt.warmup_iters)
        return opt.min_lr + 0.5 * (1.0 + math.cos(math.pi * min(ratio, 1.0))) * (
            opt.lr - opt.min_lr
        )

    batch, block = cfg.train.batch_size, config.block_size
    x, y = data.train.batch(batch, block, cfg.train.seed, 0)
    start = time.perf_counter()
    for it in range(iters):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(it)
        logits = model(x)  # (B, T, V)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
        x, y = data.train.batch(batch, block, cfg.train.seed, it + 1)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), opt.grad_clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return time.perf_counter() - start


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
        prepare_data(cfg.data)  # tokenize once, outside both timings
        seconds, val_loss = run_trainer(cfg)
        bare_seconds = run_bare(cfg, args.iters)

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
            }
        )
    )


if __name__ == "__main__":
    main()
