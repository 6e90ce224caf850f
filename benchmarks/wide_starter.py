"""A LLaMA model widened so every matrix takes a K-quant, computing the same function as the
original: for `quant_quality.py --widen`, whose K-quant comparison against llama.cpp is
otherwise about fallback types (SmolLM2's 576-wide rows fill no 256-weight super-block).

The hidden size is zero-padded to a multiple of 256 and whole key/value groups of all-zero
heads are added until the attention width is one too (SmolLM2-135M: n_embd 576 -> 768, heads
9 -> 12, kv heads 3 -> 4; head_dim 64 and ffn 1536 unchanged). Why the function is unchanged:

- the residual stream's padded dimensions start at zero (zero embedding columns) and stay
  zero (every projection writing into the stream has zero rows there);
- RMSNorm divides by sqrt(mean(x^2) + eps) over n_embd, and the padding adds only zeros to the
  sum, so with c = old/new width mean' = c * mean. Taking eps' = c * eps gives
  sqrt(mean' + eps') = sqrt(c) * sqrt(mean + eps), which weights scaled by sqrt(c) cancel
  exactly; padded norm weights are zero;
- padded feed-forward units have zero gate and up rows, so SiLU(0) * 0 = 0 reaches their zero
  down-projection columns (SmolLM2's 1536 needs none);
- an added head's query and key rows are zero, so its scores are all zero and its softmax
  averages value rows that are zero too; its output-projection columns are zero besides. The
  added heads are appended after the original ones and fill their own key/value heads, so
  the original heads keep their key/value head (h // group) and their rotary positions.

    python benchmarks/wide_starter.py --model SmolLM2-135M-Instruct.Q4_1.gguf --out DIR
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path

import torch
import torch.nn.functional as F

from ml.sou import read_sou, write_sou
from ml.sou.convert import import_model
from ml.sou.gguf_export import export_gguf

SUPER_BLOCK = 256  # weights per K-quant super-block: every row width must be a multiple
NORM = re.compile(r".*norm\.weight")
# HF LLaMA tensor name suffix -> (pad rows to, pad columns to): "embd", "q", "kv", "ffn" or None.
PADDING = {
    "embed_tokens.weight": (None, "embd"),
    "lm_head.weight": (None, "embd"),
    "self_attn.q_proj.weight": ("q", "embd"),
    "self_attn.k_proj.weight": ("kv", "embd"),
    "self_attn.v_proj.weight": ("kv", "embd"),
    "self_attn.o_proj.weight": ("embd", "q"),
    "mlp.gate_proj.weight": ("ffn", "embd"),
    "mlp.up_proj.weight": ("ffn", "embd"),
    "mlp.down_proj.weight": ("embd", "ffn"),
}


def round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def wide_shape(config: dict) -> dict[str, int]:
    """The smallest n_embd, intermediate_size and whole kv groups of extra heads that make
    every row a multiple of SUPER_BLOCK: {"n_embd", "n_head", "n_kv_head", "intermediate_size"}."""
    head_dim = config.get("head_dim") or config["n_embd"] // config["n_head"]
    n_kv_head = config.get("n_kv_head") or config["n_head"]
    group = config["n_head"] // n_kv_head
    while (n_kv_head * group * head_dim) % SUPER_BLOCK:
        n_kv_head += 1
    return {"n_embd": round_up(config["n_embd"], SUPER_BLOCK), "n_head": n_kv_head * group,
            "n_kv_head": n_kv_head,
            "intermediate_size": round_up(config["intermediate_size"], SUPER_BLOCK)}


def widen(config: dict, tensors: Mapping[str, torch.Tensor]) -> tuple[dict, dict[str, torch.Tensor]]:
    """(config, tensors) of a LLaMA model (HF tensor names, no biases) widened by `wide_shape`;
    the widened model's logits are the original's."""
    if config.get("arch") != "llama" or config.get("qkv_bias") or config.get("o_bias"):
        raise ValueError("widening supports LLaMA models without attention biases")
    head_dim = config.get("head_dim") or config["n_embd"] // config["n_head"]
    new = wide_shape(config)
    width = {"embd": new["n_embd"], "q": new["n_head"] * head_dim,
             "kv": new["n_kv_head"] * head_dim, "ffn": new["intermediate_size"]}
    scale = config["n_embd"] / new["n_embd"]
    widened = {}
    for name, tensor in tensors.items():
        tensor = tensor.float()
        if NORM.fullmatch(name):
            widened[name] = F.pad(tensor * math.sqrt(scale), (0, new["n_embd"] - len(tensor)))
            continue
        suffix = next((s for s in PADDING if name.endswith(s)), None)
        if suffix is None:
            raise ValueError(f"tensor {name!r} has no widening rule")
        rows, cols = (width[axis] if axis else size
                      for axis, size in zip(PADDING[suffix], tensor.shape, strict=True))
        widened[name] = F.pad(tensor, (0, cols - tensor.shape[1], 0, rows - tensor.shape[0]))
    wide_config = {**config, **new, "head_dim": head_dim,
                   "rms_norm_eps": config["rms_norm_eps"] * scale}
    return wide_config, widened


def widen_sou(source: Path, out: Path) -> Path:
    """An F32 `.sou` file `out` holding `source` (an F32 `.sou`) widened, with its tokenizer,
    chat template and generation settings."""
    with read_sou(source) as sou:
        tensors = {info.name: sou.tensor(info.name, torch.float32) for info in sou.tensor_infos}
        config, tensors = widen(sou.config, tensors)
        provenance = {**sou.provenance, "widened": {"from": {
            key: sou.config.get(key) for key in ("n_embd", "n_head", "n_kv_head",
                                                 "intermediate_size")}}}
        return write_sou(out, config=config, tensors=tensors, tokenizer_json=sou.tokenizer_json,
                         chat_template=sou.chat_template, generation=sou.generation,
                         provenance=provenance, qtype="F32")


def widened_gguf(model: Path, scratch: Path) -> tuple[Path, Path, Path]:
    """(original F32 .sou, widened F32 .sou, widened F32 GGUF) of `model` (anything
    ml.sou.convert.import_model reads), written under `scratch`."""
    original = scratch / f"{model.stem}.F32.sou"
    import_model(model, original, "F32")
    wide = widen_sou(original, scratch / f"{model.stem}.wide.F32.sou")
    gguf = export_gguf(wide, scratch / f"{model.stem}.wide.F32.gguf").path
    return original, wide, gguf


def max_logit_difference(original: Path, wide: Path, ids: torch.Tensor) -> float:
    """Largest absolute difference of the two models' F32 logits over the token ids (1, T)."""
    from ml.infer.loader import load_model

    logits = []
    for path in (original, wide):
        with read_sou(path) as sou, torch.inference_mode():
            logits.append(load_model(sou, torch.device("cpu"), torch.float32)(ids).float())
    return float((logits[0] - logits[1]).abs().max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, type=Path, help="source model to widen")
    parser.add_argument("--out", required=True, type=Path, help="directory for the files")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    original, wide, gguf = widened_gguf(args.model, args.out)
    with read_sou(wide) as sou:
        config = sou.config
    ids = torch.arange(1, 65).unsqueeze(0)
    print(json.dumps({"sou": str(wide), "gguf": str(gguf),
                      "shape": {key: config[key] for key in ("n_embd", "n_head", "n_kv_head")},
                      "max_logit_diff": max_logit_difference(original, wide, ids)}))


if __name__ == "__main__":
    main()
