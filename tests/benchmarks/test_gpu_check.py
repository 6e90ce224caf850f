"""benchmarks/gpu_check.py on a machine without a GPU: its smoke mode runs every section on the
CPU and reports every number a GPU run records, and asking it for CUDA fails clearly."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "gpu_check.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="2", PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.slow
def test_smoke_mode_reports_every_section_on_cpu():
    # given a CPU and a stated peak, so MFU can be worked out
    # when the check runs in smoke mode
    done = _run("--device", "cpu", "--smoke", "--peak-tflops", "0.5")

    # then it prints one JSON line holding every field of the three sections
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    report = json.loads(lines[0])
    assert report["device"] == "cpu" and report["smoke"] is True
    train = report["train"]
    assert set(train) >= {"params", "tokens_per_s", "flops_per_token", "peak_tflops", "mfu",
                          "memory_mb", "precision", "compile", "steps", "loss"}
    assert train["steps"] == 6 and train["precision"] == "bf16" and train["compile"] is False
    assert train["mfu"] == pytest.approx(
        train["flops_per_token"] * train["tokens_per_s"] / 0.5e12, abs=1e-4)
    fsdp = report["fsdp"]
    assert fsdp["world_size"] == 1 and fsdp["backend"] == "gloo" and fsdp["sharded"] is True
    assert fsdp["step_ms"] > 0 and fsdp["memory_mb"] > 0
    decode = report["decode"]
    assert decode["streams_1_tok_per_s"] > 0 and decode["streams_8_tok_per_s"] > 0
    assert decode["ratio"] == pytest.approx(
        decode["streams_8_tok_per_s"] / decode["streams_1_tok_per_s"], abs=0.01)
    assert decode["compiled"] is None  # CPU decode steps are native kernels: nothing to compile
    assert report["goals"] == {"mfu": 0.4, "decode_ratio": 3.0}


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
def test_asking_for_cuda_without_one_exits_2_with_a_reason():
    # given a machine whose torch sees no CUDA device
    # when the check is run as on a GPU host
    done = _run()

    # then it stops at once with status 2 and says why, printing no numbers
    assert done.returncode == 2
    assert "sees no CUDA device" in done.stderr
    assert done.stdout == ""


@pytest.mark.slow
def test_smoke_mode_trains_compiled_as_a_gpu_run_does():
    # given a CPU standing in for a GPU host, where training compiles by default
    # when the training section runs compiled
    done = _run("--device", "cpu", "--smoke", "--compile", "--only", "train", "--peak-tflops", "0.5")

    # then it trains every step compiled and reports a finite loss
    assert done.returncode == 0, done.stderr[-3000:]
    train = json.loads(done.stdout.strip().splitlines()[-1])["train"]
    assert train["compile"] is True and train["steps"] == 6
    assert math.isfinite(train["loss"])


@pytest.mark.parametrize(("name", "tflops"), [("NVIDIA H200 NVL", 835.0), ("NVIDIA H200", 989.0),
                                              ("NVIDIA H100 NVL", 835.0), ("NVIDIA H100 80GB HBM3", 989.0)])
def test_mfu_is_measured_against_the_peak_of_the_board_at_hand(name, tflops, monkeypatch):
    # given a CUDA device of this name
    from benchmarks import gpu_check

    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: name)
    # when its peak is looked up, then it is the board's own (an NVL one runs at lower clocks)
    assert gpu_check.peak_tflops(torch.device("cuda", 0), None) == tflops
