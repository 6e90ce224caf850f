"""llama.cpp's own tools beside ours, for `infer_decode.py` and `quant_quality.py`: builds
`llama-bench`, `llama-perplexity` and `llama-quantize` from the llama-cpp-python sdist (the
llama.cpp it vendors), and runs them on the same source model our side imports.

The sdist is fetched with pip into a cache (~/.cache/sloughgpt/llamacpp) unless a directory
holding one (or an unpacked llama.cpp tree) is given; each build is kept per source version, so
only the first run compiles (a few minutes on 2 cores).

    python benchmarks/llamacpp_tools.py                  # build, print the tool paths
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

SDIST = "llama-cpp-python==0.3.36"
TOOLS = ("llama-bench", "llama-perplexity", "llama-quantize")


def cache_root() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "sloughgpt" / "llamacpp"


def source_tree(llamacpp_dir: Path | None = None) -> Path:
    """The llama.cpp source tree: `llamacpp_dir` itself when it is one, else the sdist found in
    (or downloaded to) it, or to the cache, unpacked beside it."""
    root = Path(llamacpp_dir) if llamacpp_dir else cache_root()
    if (root / "ggml" / "CMakeLists.txt").is_file():
        return root
    unpacked = sorted(root.glob("llama_cpp_python-*/vendor/llama.cpp"))
    if unpacked:
        return unpacked[-1]
    archives = sorted(root.glob("llama_cpp_python-*.tar.gz"))
    if not archives:
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary",
                        ":all:", SDIST, "-d", str(root)], check=True)
        archives = sorted(root.glob("llama_cpp_python-*.tar.gz"))
    with tarfile.open(archives[-1]) as archive:
        archive.extractall(root, filter="data")
    return sorted(root.glob("llama_cpp_python-*/vendor/llama.cpp"))[-1]


def build(llamacpp_dir: Path | None = None) -> dict[str, Path]:
    """{tool name: executable}, building them (Release, -DGGML_NATIVE=ON, only these targets,
    2 jobs) the first time."""
    source = source_tree(llamacpp_dir)
    build_dir = source.parent.parent / "build"
    tools = {name: build_dir / "bin" / name for name in TOOLS}
    if all(path.is_file() for path in tools.values()):
        return tools
    subprocess.run(["cmake", "-S", str(source), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
                    "-DGGML_NATIVE=ON", "-DLLAMA_CURL=OFF", "-DLLAMA_BUILD_TESTS=OFF",
                    "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_SERVER=OFF",
                    "-DBUILD_SHARED_LIBS=OFF"],
                   check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(build_dir), "--config", "Release", "-j2",
                    "--target", *TOOLS], check=True, capture_output=True)
    return tools


# Our type or recipe -> the llama-quantize type a llama.cpp user would pick for it. llama.cpp's
# Q2_K and Q3_K_* are mixes (more bits for attn_v, ffn_down, the head); Q3_K_S is the least
# mixed Q3_K. Both sides substitute 32-block types for rows that don't fill 256-weight blocks.
LLAMACPP_TYPES = {"F32": "F32", "F16": "F16", "Q8_0": "Q8_0", "Q4_0": "Q4_0", "Q4_1": "Q4_1",
                  "Q2_K": "Q2_K", "Q3_K": "Q3_K_S", "Q3_K_M": "Q3_K_M", "Q4_K": "Q4_K_S",
                  "Q4_K_M": "Q4_K_M",
                  "Q5_K": "Q5_K_S", "Q5_K_M": "Q5_K_M", "Q6_K": "Q6_K"}


def quantize(tools: dict[str, Path], source: Path, target: Path, qtype: str,
             threads: int = 2) -> Path:
    """`source` GGUF requantized to `qtype` (a llama-quantize type name, e.g. Q4_K_M, F32)."""
    if not target.is_file():
        subprocess.run([str(tools["llama-quantize"]), "--allow-requantize", str(source),
                        str(target), qtype, str(threads)], check=True, capture_output=True)
    return target


def decode_tok_per_s(tools: dict[str, Path], model: Path, tokens: int = 128,
                     threads: int = 2) -> float:
    """llama-bench's text-generation rate: `-n tokens -p 0 -t threads`, mean of its repeats."""
    result = subprocess.run([str(tools["llama-bench"]), "-m", str(model), "-n", str(tokens),
                             "-p", "0", "-t", str(threads), "-o", "json"],
                            check=True, capture_output=True, text=True)
    runs = json.loads(result.stdout)
    return float(runs[0]["avg_ts"])


def perplexity(tools: dict[str, Path], model: Path, text_file: Path, ctx: int,
               threads: int = 2) -> float:
    """llama-perplexity's final estimate over `text_file` in chunks of `ctx` tokens (each
    chunk's second half scored, as `score_like_llamacpp` in quant_quality.py does)."""
    result = subprocess.run([str(tools["llama-perplexity"]), "-m", str(model), "-f", str(text_file),
                             "-c", str(ctx), "-b", str(ctx), "-t", str(threads)],
                            check=True, capture_output=True, text=True)
    found = re.search(r"Final estimate: PPL = ([0-9.]+)", result.stdout + result.stderr)
    if found is None:
        raise RuntimeError(f"llama-perplexity printed no estimate:\n{result.stderr[-2000:]}")
    return float(found.group(1))


def identical_tensors(ours: Path, theirs: Path) -> dict:
    """How alike our quantization (`ours`, a .sou file) is to llama.cpp's (`theirs`, a GGUF):
    {"tensors": theirs' count, "same_type": how many both stored at one type, "identical": how
    many of those hold the same bytes, "differing": the first few that don't}. Ours is
    exported to GGUF first, so names and row orders are llama.cpp's on both sides."""
    import numpy as np
    from gguf import GGUFReader

    from ml.sou.gguf_export import export_gguf

    exported = export_gguf(ours, ours.with_suffix(".compare.gguf")).path
    try:
        mine = {tensor.name: tensor for tensor in GGUFReader(exported).tensors}
        their_tensors = GGUFReader(theirs).tensors
        same = [(tensor, mine[tensor.name]) for tensor in their_tensors if tensor.name in mine
                and mine[tensor.name].tensor_type == tensor.tensor_type]
        differing = [a.name for a, b in same if not np.array_equal(a.data, b.data)]
    finally:
        exported.unlink()
    return {"tensors": len(their_tensors), "same_type": len(same),
            "identical": len(same) - len(differing), "differing": differing[:3]}


def f32_source(tools: dict[str, Path], model: Path, scratch: Path) -> Path:
    """`model` (a GGUF of any type) expanded to F32, the one source both sides quantize."""
    return quantize(tools, model, scratch / f"{model.stem}.F32.gguf", "F32")


if __name__ == "__main__":
    print(json.dumps({name: str(path) for name, path in build().items()}))
