"""Decode speed of a `.sou` model through the engine, against transformers' `generate` on the
same weights (float32) in the same run. Prints one JSON line:
{"type", "tok_per_s", "prefill_tok_per_s", "peak_rss_mb", "model_rss_mb", "file_mb",
"kv_cache_mb", "hf_tok_per_s", "model_rss_warm_mb"}. `model_rss_mb` is the peak resident
memory above what the process held before loading the model (torch and the tokenizer library
alone hold ~200 MB), the figure to set against the goal of 1.3x the file plus the KV cache.
It still counts the pages of library code (torch, tokenizers, the kernels) that the first
load and generation touch, which any model would touch alike; `model_rss_warm_mb` measures
from after a tiny random model (its own small BPE vocabulary) has been loaded, run and
dropped, so those pages are already resident and what remains is this model's own memory.

    python benchmarks/infer_decode.py --model smol-Q4_0.sou --type Q4_0
    python benchmarks/infer_decode.py --model SmolLM2-135M-Instruct.Q4_1.gguf --type Q4_0
    python benchmarks/infer_decode.py --model SmolLM2-135M-Instruct.Q4_1.gguf --type Q4_K_M \
        --llamacpp --no-hf

A .gguf model is imported to a temporary `.sou` of --type first. Greedy decoding ignores the
end-of-text token so every run writes exactly --tokens tokens. --llamacpp also measures
llama.cpp's `llama-bench` (same token count and threads, no prompt) on the same type: the GGUF
is first expanded to F32 by llama-quantize, and both sides quantize from that one source
(adds "llamacpp_type", "llamacpp_tok_per_s", "llamacpp_file_mb", "vs_llamacpp" = ours /
theirs, and the 1-minute load average). --repeats N alternates N runs of ours and of
llama-bench (each of its runs the mean of its own 5 repetitions) and reports medians, with
every run in "runs" ([ours, theirs, load] each): on a shared machine two runs minutes apart
can differ several times over, so only alternating runs compare.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from statistics import median

import torch
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from ml.infer.engine import Engine
from ml.models import build_model, preset_config
from ml.sou import write_sou
from ml.sou.convert import export_hf_dir, import_gguf
from ml.sou.quant import EXPORT_TYPES

try:  # a script run from the repository root, or benchmarks.* imported as a package
    import llamacpp_tools
except ImportError:
    from benchmarks import llamacpp_tools

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


def warm_runtime(directory: Path, qtype: str) -> None:
    """Load and run a tiny random LLaMA in `qtype` with a small BPE vocabulary, then drop it,
    so the library code pages a first model touches are resident before measuring."""
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<unk>"], show_progress=False)
    tokenizer.train_from_iterator(["a lighthouse keeper finds a message in a bottle"] * 20, trainer)
    config = replace(preset_config("llama-tiny"), vocab_size=tokenizer.get_vocab_size())
    model = build_model(config)
    path = directory / "warm.sou"
    write_sou(path, config=config.to_dict(),
              tensors={n: p.detach() for n, p in model.named_parameters()},
              tokenizer_json=tokenizer.to_str(), generation={}, provenance={},
              qtype=qtype if qtype in EXPORT_TYPES else "F32")
    engine = Engine.load(path, device="cpu", max_batch=1, max_seq_len=64)
    for _ in engine.stream("a lighthouse keeper", max_tokens=8, temperature=0, ignore_eos=True):
        pass
    del engine, model
    gc.collect()
    reset_peak_rss()


def reset_peak_rss() -> None:
    """Start the peak (VmHWM) over from the current resident size."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def llamacpp_fields(their_type: str, their_model: Path, runs: list[tuple]) -> dict:
    """llama.cpp's side of the line: its medians beside ours, and the load they ran under."""
    ours, theirs = median(run[0] for run in runs), median(run[2] for run in runs)
    return {"llamacpp_type": their_type, "llamacpp_tok_per_s": round(theirs, 2),
            "llamacpp_file_mb": round(their_model.stat().st_size / 2**20, 1),
            "vs_llamacpp": round(ours / theirs, 3),
            "load_avg_1m": round(median(run[3] for run in runs), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, type=Path, help=".sou file, or .gguf to import")
    parser.add_argument("--type", required=True, help="quantization type (label, or import target)")
    parser.add_argument("--tokens", type=int, default=128, help="greedy tokens to generate")
    parser.add_argument("--threads", type=int, default=2, help="torch/kernel threads")
    parser.add_argument("--no-hf", action="store_true", help="skip the transformers comparison")
    parser.add_argument("--llamacpp", action="store_true",
                        help="also run llama.cpp's llama-bench on the same type and source")
    parser.add_argument("--llamacpp-dir", type=Path, default=None,
                        help="llama-cpp-python sdist or llama.cpp tree (default: fetched to cache)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="decode runs, alternating with llama-bench's under --llamacpp; "
                             "medians reported")
    parser.add_argument("--warm", action="store_true",
                        help="run a tiny model first and measure memory from there "
                             "(model_rss_warm_mb instead of model_rss_mb)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as scratch:
        path, source, their_model = args.model, args.model, None
        if args.llamacpp:
            tools = llamacpp_tools.build(args.llamacpp_dir)
            source = llamacpp_tools.f32_source(tools, args.model, Path(scratch))
            their_type = llamacpp_tools.LLAMACPP_TYPES[args.type]
            their_model = llamacpp_tools.quantize(
                tools, source, Path(scratch) / f"llamacpp-{their_type}.gguf", their_type,
                args.threads)
        if path.suffix.lower() == ".gguf":
            path = Path(scratch) / f"model-{args.type}.sou"
            import_gguf(source, path, args.type)
            gc.collect()
            reset_peak_rss()  # an F32 source's import is not the model's memory
        base_rss_mb = current_rss_mb()
        if args.warm:
            warm_runtime(Path(scratch), args.type)
            base_rss_mb = current_rss_mb()
        engine = Engine.load(path, device="cpu", max_batch=1, max_seq_len=512)
        engine_run(engine, 8)  # warm-up: kernel build/load, allocator, caches
        runs = []  # (ours, prefill, theirs or None, load)
        for _ in range(args.repeats):
            tok_per_s, prefill_tok_per_s, _ = engine_run(engine, args.tokens)
            their_tok_per_s = None if their_model is None else llamacpp_tools.decode_tok_per_s(
                tools, their_model, args.tokens, args.threads)
            runs.append((tok_per_s, prefill_tok_per_s, their_tok_per_s, os.getloadavg()[0]))
        tok_per_s = median(run[0] for run in runs)
        prefill_tok_per_s = median(run[1] for run in runs)
        peak_mb = peak_rss_mb()
        kv_cache_mb = sum(layer.kv_cache.k_cache.nbytes + layer.kv_cache.v_cache.nbytes
                          for layer in engine.model.attention_layers()) / 2**20  # as allocated
        prompt_ids = engine.encode(PROMPT)
        del engine
        hf_tok_per_s = None if args.no_hf else hf_run(path, prompt_ids, args.tokens)
        print(json.dumps({
            "type": args.type,
            "tok_per_s": round(tok_per_s, 2),
            "prefill_tok_per_s": round(prefill_tok_per_s, 2),
            "peak_rss_mb": round(peak_mb, 1),
            "model_rss_warm_mb" if args.warm else "model_rss_mb": round(peak_mb - base_rss_mb, 1),
            "file_mb": round(path.stat().st_size / 2**20, 1),
            "kv_cache_mb": round(kv_cache_mb, 1),
            "hf_tok_per_s": None if hf_tok_per_s is None else round(hf_tok_per_s, 2),
            **(llamacpp_fields(their_type, their_model, runs) if their_model else {}),
            **({"runs": [[round(ours, 2), None if theirs is None else round(theirs, 2),
                          round(load, 2)] for ours, _, theirs, load in runs]}
               if args.repeats > 1 else {}),
        }))


if __name__ == "__main__":
    main()
