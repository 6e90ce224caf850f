"""What quantization costs in quality: perplexity of each `.sou` type on the end of a text, and
the mean KL divergence of its next-token distributions from the F32 model's. Prints one JSON
line: {"tokens", "window", "types": {T: {"ppl", "ppl_vs_f32_pct", "mean_kl"}}}.

    python benchmarks/quant_quality.py --model SmolLM2-135M-Instruct.Q4_1.gguf

--model is anything ml.sou.convert.import_model reads (.gguf, Hugging Face dir, checkpoint);
each type is imported from it into a temporary file and loaded the way the engine loads it
(block-typed linears stay quantized). Windows of --window tokens are scored independently,
so these are whole-window (prefill-path) numbers.

--llamacpp (with a .gguf --model) puts llama.cpp's `llama-perplexity` beside each type: the
GGUF is expanded to F32 by llama-quantize, both sides quantize from that one file, and both
score the same text the way llama-perplexity does (windows of --window tokens, the second
half of each scored), adding "llamacpp_type", "llamacpp_ppl" and "ppl_vs_llamacpp_pct",
and "identical_tensors": how many tensors both quantized to the same type, and how many of
those have the same bytes (ours exported to GGUF, read beside theirs with gguf-py).

--widen scores, instead of the model, its function-preserving widening (wide_starter.py:
SmolLM2's 576-wide rows padded to 768, so every matrix takes a K-quant rather than a 32-block
fallback); both sides quantize the widened F32 GGUF, and "widen_max_logit_diff" says how far
the widened F32 model's logits are from the original's on the first window.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import torch
import torch.nn.functional as F
from tokenizers import Tokenizer

from ml.infer.loader import load_model
from ml.sou import read_sou
from ml.sou.convert import import_model

try:  # a script run from the repository root, or benchmarks.* imported as a package
    import llamacpp_tools
    import wide_starter
except ImportError:
    from benchmarks import llamacpp_tools, wide_starter

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "shakespeare.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, type=Path, help="source model to import")
    parser.add_argument("--types", default="F32,F16,Q8_0,Q6_K,Q5_K_M,Q4_K_M,Q4_1,Q4_0,Q3_K,Q2_K",
                        help="comma-separated tensor types or recipes")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="text file to score")
    parser.add_argument("--chars", type=int, default=100_000, help="score the last N characters")
    parser.add_argument("--window", type=int, default=512, help="tokens per scored window")
    parser.add_argument("--threads", type=int, default=2, help="torch/kernel threads")
    parser.add_argument("--llamacpp", action="store_true",
                        help="score llama.cpp's quantizations of the same source beside ours")
    parser.add_argument("--llamacpp-dir", type=Path, default=None,
                        help="llama-cpp-python sdist or llama.cpp tree (default: fetched to cache)")
    parser.add_argument("--widen", action="store_true",
                        help="score the model widened so every matrix takes a K-quant")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    types = [t.strip() for t in args.types.split(",")]
    if "F32" not in types:
        types.insert(0, "F32")  # the reference every KL is measured against

    text = args.data.read_text(encoding="utf-8")[-args.chars:]
    with tempfile.TemporaryDirectory() as scratch:
        models, tokenizer, source, theirs, extra = {}, None, args.model, {}, {}
        if args.llamacpp:
            tools = llamacpp_tools.build(args.llamacpp_dir)
            source = llamacpp_tools.f32_source(tools, args.model, Path(scratch))
        if args.widen:
            original, wide, source = wide_starter.widened_gguf(source, Path(scratch))
        if args.llamacpp:
            text_file = Path(scratch) / "scored.txt"
            text_file.write_text(text, encoding="utf-8")
            for qtype in types:
                their_type = llamacpp_tools.LLAMACPP_TYPES[qtype]
                model = llamacpp_tools.quantize(tools, source, Path(scratch) / f"lcpp-{their_type}.gguf",
                                                their_type, args.threads)
                theirs[qtype] = (their_type, model, llamacpp_tools.perplexity(
                    tools, model, text_file, args.window, args.threads))
        for qtype in types:
            path = Path(scratch) / f"model-{qtype}.sou"
            import_model(source, path, qtype)
            if qtype in theirs:  # their file is kept until ours is there to compare with
                theirs[qtype] += (llamacpp_tools.identical_tensors(path, theirs[qtype][1]),)
                theirs[qtype][1].unlink()
            sou = read_sou(path)
            tokenizer = tokenizer or Tokenizer.from_str(sou.tokenizer_json)
            models[qtype] = load_model(sou, torch.device("cpu"), torch.float32)
        ids = torch.tensor(tokenizer.encode(text, add_special_tokens=False).ids)
        if args.widen:
            first_window = ids[:args.window].unsqueeze(0)
            extra["widen_max_logit_diff"] = wide_starter.max_logit_difference(original, wide,
                                                                              first_window)
        nll = dict.fromkeys(types, 0.0)
        kl = dict.fromkeys(types, 0.0)
        scored = 0
        with torch.inference_mode():
            for inputs, targets, first in windows(ids, args.window, args.llamacpp):
                reference = None
                for qtype in types:
                    logits = models[qtype](inputs)[0, first:].float()
                    logp = F.log_softmax(logits, dim=-1)  # (T, V)
                    nll[qtype] += float(-logp.gather(1, targets[:, None]).sum())
                    if reference is None:
                        reference = logp
                    kl[qtype] += float((reference.exp() * (reference - logp)).sum())
                scored += len(targets)

    f32_ppl = torch.tensor(nll["F32"] / scored).exp().item()
    report = {}
    for qtype in types:
        ppl = torch.tensor(nll[qtype] / scored).exp().item()
        report[qtype] = {"ppl": round(ppl, 4),
                         "ppl_vs_f32_pct": round(100 * (ppl / f32_ppl - 1), 3),
                         "mean_kl": round(kl[qtype] / scored, 6)}
        if qtype in theirs:
            their_type, _, their_ppl, identical = theirs[qtype]
            report[qtype].update(llamacpp_type=their_type, llamacpp_ppl=round(their_ppl, 4),
                                 ppl_vs_llamacpp_pct=round(100 * (ppl / their_ppl - 1), 3),
                                 identical_tensors=identical)
    if theirs:
        extra["load_avg_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps({"tokens": scored, "window": args.window, "types": report, **extra}))


def windows(ids: torch.Tensor, window: int, like_llamacpp: bool):
    """(inputs (1, T), targets (S,), first scored position) per window. Ours: consecutive
    windows of `window` inputs, every position scored. llama-perplexity's: whole windows only,
    each scored from its middle on (the first half is context)."""
    if not like_llamacpp:
        for start in range(0, len(ids) - 1, window):
            chunk = ids[start:start + window + 1]
            yield chunk[:-1].unsqueeze(0), chunk[1:], 0
        return
    first = window // 2
    for start in range(0, len(ids) // window * window, window):
        chunk = ids[start:start + window]
        yield chunk[:-1].unsqueeze(0), chunk[first + 1:], first


if __name__ == "__main__":
    main()
