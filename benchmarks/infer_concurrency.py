"""Aggregate decode throughput of the engine with 1 and with 8 concurrent streams (continuous
batching). Prints one JSON line: {"streams_1_tok_per_s", "streams_8_tok_per_s", "ratio", ...}.

    python benchmarks/infer_concurrency.py                      # random llama-tiny model
    python benchmarks/infer_concurrency.py --sou smol.sou --device cuda
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

import torch
from tokenizers import Tokenizer, models

from ml.infer.engine import Engine
from ml.models import build_model, preset_config
from ml.sou import write_sou


def random_sou(directory: Path, preset: str, qtype: str) -> Path:
    """A randomly initialised preset with a word-level vocabulary covering every id."""
    config = preset_config(preset)
    torch.manual_seed(0)
    model = build_model(config)
    tokenizer = Tokenizer(models.WordLevel({f"t{i} ": i for i in range(config.vocab_size)},
                                           unk_token="t0 "))
    path = directory / f"{preset}-{qtype}.sou"
    write_sou(path, config=config.to_dict(),
              tensors={n: p.detach() for n, p in model.named_parameters()},
              tokenizer_json=tokenizer.to_str(), generation={}, provenance={}, qtype=qtype)
    return path


def throughput(engine: Engine, streams: int, tokens: int) -> float:
    """Generated tokens per second over all streams, from first submit to last token."""
    settings = {"max_tokens": tokens, "temperature": 0.0, "repetition_penalty": 1.0, "ignore_eos": True}
    counts = [0] * streams

    def consume(i: int) -> None:
        for delta in engine.stream(f"t{i} t{i + 1} t{i + 2} ", **settings):
            counts[i] = delta.token_count

    threads = [threading.Thread(target=consume, args=(i,)) for i in range(streams)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sou", help="a .sou file (default: a random --preset model)")
    parser.add_argument("--preset", default="llama-tiny")
    parser.add_argument("--type", dest="qtype", default="F32")
    parser.add_argument("--device", default=None)
    parser.add_argument("--tokens", type=int, default=64, help="tokens per stream")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.sou) if args.sou else random_sou(Path(tmp), args.preset, args.qtype)
        engine = Engine.load(path, args.device, max_batch=8, max_seq_len=512)
        throughput(engine, 1, 8)  # warm-up: allocate caches, load kernels
        one = throughput(engine, 1, args.tokens)
        eight = throughput(engine, 8, args.tokens)
    print(json.dumps({
        "streams_1_tok_per_s": round(one, 1),
        "streams_8_tok_per_s": round(eight, 1),
        "ratio": round(eight / one, 2),
        "model": args.sou or f"{args.preset} {args.qtype} (random)",
        "device": str(engine.device),
        "tokens_per_stream": args.tokens,
        "torch_threads": torch.get_num_threads(),
    }))


if __name__ == "__main__":
    main()
