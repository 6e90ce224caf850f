"""Decode speed of a `.sou` model through the engine, against transformers' `generate` on the
same weights (float32) in the same run. Prints one JSON line:
{"type", "tok_per_s", "prefill_tok_per_s", "peak_rss_mb", "model_rss_mb", "file_mb",
"kv_cache_mb", "hf_tok_per_s"}. `model_rss_mb` is the peak resident memory above what the
process held before loading the model (torch and the tokenizer library alone hold ~200 MB),
the figure to set against the goal of 1.3x the file plus the KV cache.

    python benchmarks/infer_decode.py --model smol-Q4_0.sou --type Q4_0
    python benchmarks/infer_decode.py --model SmolLM2-135M-Instruct.Q4_1.gguf --type Q4_0

A .gguf model is imported to a temporary `.sou` of --type first. Greedy decoding ignores the
end-of-text token so every run writes exactly --tokens tokens.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import torch

from ml.infer.engine import Engine
from ml.sou.convert import export_hf_dir, import_gguf

PROMPT = [{"role": "user", "content": "Write a short story about a lighthouse keeper who "
                                      "finds a message in a bottle."}]


def engine_run(engine: Engine, tokens: int) -> tuple[float, float, int]:
    """(decode tok/s, prefill tok/s, prompt tokens) for one greedy stream."""
    prompt_tokens = len(engine.encode(PROMPT))
    start = time.perf_counter()
    first = None
    produced = 0
    for _ in engine.stream(PROMPT, max_tokens=tokens, temperature=0, ignore_eos=True):
        produced += 1
        if first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    return (produced - 1) / (end - first), prompt_tokens / (first - start), prompt_tokens


def hf_run(sou_path: Path, prompt_ids: list[int], tokens: int) -> float:
    """Decode tok/s of transformers' generate (float32) on the file's weights."""
    from transformers import AutoModelForCausalLM

    with tempfile.TemporaryDirectory() as directory:
        export_hf_dir(sou_path, directory)
        model = AutoModelForCausalLM.from_pretrained(directory, torch_dtype=torch.float32).eval()
    ids = torch.tensor([prompt_ids])
    with torch.inference_mode():
        model.generate(ids, max_new_tokens=2, do_sample=False)  # warm-up
        start = time.perf_counter()
        model.generate(ids, max_new_tokens=1, do_sample=False)
        prefill = time.perf_counter() - start
        start = time.perf_counter()
        out = model.generate(ids, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False)
        total = time.perf_counter() - start
    return (out.shape[1] - ids.shape[1] - 1) / (total - prefill)


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, type=Path, help=".sou file, or .gguf to import")
    parser.add_argument("--type", required=True, help="quantization type (label, or import target)")
    parser.add_argument("--tokens", type=int, default=128, help="greedy tokens to generate")
    parser.add_argument("--threads", type=int, default=2, help="torch/kernel threads")
    parser.add_argument("--no-hf", action="store_true", help="skip the transformers comparison")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as scratch:
        path = args.model
        if path.suffix.lower() == ".gguf":
            path = Path(scratch) / f"model-{args.type}.sou"
            import_gguf(args.model, path, args.type)
        base_rss_mb = current_rss_mb()
        engine = Engine.load(path, device="cpu", max_batch=1, max_seq_len=512)
        engine_run(engine, 8)  # warm-up: kernel build/load, allocator, caches
        tok_per_s, prefill_tok_per_s, _ = engine_run(engine, args.tokens)
        peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        kv_cache_mb = sum(layer.kv_cache.k_cache.nbytes + layer.kv_cache.v_cache.nbytes
                          for layer in engine.model.attention_layers()) / 2**20  # as allocated
        prompt_ids = engine.encode(PROMPT)
        del engine
        hf_tok_per_s = None if args.no_hf else hf_run(path, prompt_ids, args.tokens)
        print(json.dumps({
            "type": args.type,
            "tok_per_s": round(tok_per_s, 2),
            "prefill_tok_per_s": round(prefill_tok_per_s, 2),
            "peak_rss_mb": round(peak_rss_mb, 1),
            "model_rss_mb": round(peak_rss_mb - base_rss_mb, 1),
            "file_mb": round(path.stat().st_size / 2**20, 1),
            "kv_cache_mb": round(kv_cache_mb, 1),
            "hf_tok_per_s": None if hf_tok_per_s is None else round(hf_tok_per_s, 2),
        }))


if __name__ == "__main__":
    main()
