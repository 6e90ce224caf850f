"""The native kernels (qmm.c: quantized matrix products; kquant.c: its K-quant blocks; decode.c:
LLaMA decode steps and prompts; pool.c: their thread pool), compiled once per machine with the
system C compiler, cached, and loaded with ctypes.

No torch headers are involved, so a build takes about a second and needs nothing beyond a C
compiler and POSIX threads. Callers pass `torch.get_num_threads()` as the thread count, so
`torch.set_num_threads` governs the kernels too.
When the kernels are switched off (`SLOUGHGPT_KERNELS=torch`) or cannot be built, `load()`
returns None with one logged warning and callers use their pure-PyTorch path. The library picks
the best SIMD level the CPU runs (AVX2, plus VNNI where present); `SLOUGHGPT_KERNEL_SIMD` pins
one (portable, avx2, avxvnni, avx512vnni) to compare them.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
SOURCES = (HERE / "qmm.c", HERE / "kquant.c", HERE / "decode.c", HERE / "pool.c")
HEADERS = (HERE / "sg.h",)
CFLAGS = ("-O3", "-std=c11", "-shared", "-fPIC", "-pthread")
LIBS = ("-lm",)
# Storage type -> the kernels' type code (the enum in sg.h).
TYPE_CODES = {"F32": 0, "F16": 1, "Q4_0": 2, "Q4_1": 3, "Q8_0": 8, "Q2_K": 10, "Q3_K": 11,
              "Q4_K": 12, "Q5_K": 13, "Q6_K": 14, "BF16": 30}
# SIMD levels for `sg_simd_use` (sg.h's SG_SIMD_*); BEST_SIMD picks the best this CPU runs.
SIMD_LEVELS = {"portable": 0, "avx2": 1, "avxvnni": 2, "avx512vnni": 3}
BEST_SIMD = -1
ENV_SWITCH = "SLOUGHGPT_KERNELS"  # "torch" forces the pure-PyTorch path
ENV_SIMD = "SLOUGHGPT_KERNEL_SIMD"  # a SIMD_LEVELS name to pin (comparisons, diagnosis)
ENV_CACHE = "SLOUGHGPT_KERNEL_CACHE"  # where built libraries live (default ~/.cache/sloughgpt/kernels)


class KernelBuildError(RuntimeError):
    """The C compiler is missing or rejected the source."""


def cache_dir() -> Path:
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "sloughgpt" / "kernels"


def _compiler() -> str:
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise KernelBuildError("no C compiler found (set CC or install gcc)")
    return compiler


def build() -> Path:
    """The path of the compiled library, building it if this source/compiler pair is new."""
    compiler = _compiler()
    try:
        version = subprocess.run([compiler, "--version"], capture_output=True, text=True,
                                 timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise KernelBuildError(f"{compiler} --version failed: {exc}") from None
    key = hashlib.sha256(
        b"".join(path.read_bytes() for path in SOURCES + HEADERS) + " ".join(CFLAGS + LIBS).encode() + version.encode() + platform.machine().encode()
    ).hexdigest()[:16]
    target = cache_dir() / f"sg-{key}.so"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename: concurrent builders each finish a whole file, and
    # the rename is atomic, so no process ever loads a half-written library.
    fd, scratch = tempfile.mkstemp(suffix=".so", dir=target.parent)
    os.close(fd)
    try:
        result = subprocess.run([compiler, *CFLAGS, *map(str, SOURCES), "-o", scratch, *LIBS],
                                check=False, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise KernelBuildError(f"{compiler} failed on {HERE}:\n{result.stderr[-2000:]}")
        os.replace(scratch, target)
    except (OSError, subprocess.SubprocessError) as exc:
        raise KernelBuildError(f"building the kernels in {HERE} failed: {exc}") from None
    finally:
        if os.path.exists(scratch):
            os.unlink(scratch)
    return target


@functools.cache
def load() -> ctypes.CDLL | None:
    """The kernel library, or None when switched off or unbuildable (warned once)."""
    if os.environ.get(ENV_SWITCH, "").lower() == "torch":
        return None
    try:
        lib = ctypes.CDLL(str(build()))
    except (KernelBuildError, OSError) as exc:
        log.warning("native matmul kernels unavailable, using the PyTorch path: %s", exc)
        return None
    i64, ptr = ctypes.c_int64, ctypes.c_void_p
    lib.sg_qmm.argtypes = [ctypes.c_int, ptr, i64, i64, ptr, i64, ptr, ptr, ctypes.c_int]
    lib.sg_qmm.restype = ctypes.c_int
    lib.sg_dequantize.argtypes = [ctypes.c_int, ptr, i64, i64, ptr]
    lib.sg_dequantize.restype = ctypes.c_int
    lib.sg_quantize_rows.argtypes = [ptr, i64, i64, ptr, ptr, ptr]
    lib.sg_quantize_rows.restype = None
    lib.sg_llama_forward.argtypes = [ptr, i64, ptr, ptr, ptr, ptr, i64, ptr, ptr, ctypes.c_int,
                                     ctypes.c_int]
    lib.sg_llama_forward.restype = ctypes.c_int
    lib.sg_kq_quantize_row.argtypes = [ptr, i64, ptr]
    lib.sg_kq_quantize_row.restype = None
    lib.sg_simd_use.argtypes = [ctypes.c_int]
    lib.sg_simd_use.restype = ctypes.c_int
    pinned = os.environ.get(ENV_SIMD, "").lower()
    if lib.sg_simd_use(SIMD_LEVELS.get(pinned, BEST_SIMD)) < 0 or pinned not in ("", *SIMD_LEVELS):
        log.warning("%s=%s is not a SIMD level this CPU runs (one of %s); using the best it does",
                    ENV_SIMD, pinned, ", ".join(SIMD_LEVELS))
        lib.sg_simd_use(BEST_SIMD)
    return lib
