"""Two processes under torchrun (gloo, CPU) learn what one process with 2x accumulation does."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from ml.train import train
from tests.ml.train.factories import tiny_config, tiny_overrides

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_two_processes_match_one_process_with_double_accumulation(tmp_path):
    # given the same run as 1 process x 2 micro-batches and as 2 processes x 1 micro-batch
    common = (
        "train.max_iters=6",
        "train.eval_interval=3",
        "train.eval_iters=4",
        "optim.lr=3e-3",
        "train.log_interval=1",
    )
    single = tiny_config(tmp_path / "one", *common, "train.grad_accum=2")
    overrides = tiny_overrides(tmp_path / "two", *common, "train.distributed='ddp'")

    # when both run
    one_result = train(single)
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--standalone",
        "--monitor-interval",
        "0.1",
        "-m",
        "ml.cli",
        "train",
    ]
    for item in overrides:
        command += ["--set", item]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    done = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    two_result = json.loads(done.stdout.strip().splitlines()[-1])

    # then they agree on losses and weights, up to floating-point summation order
    assert two_result["steps"] == one_result.steps == 6
    assert two_result["tokens"] == one_result.tokens
    assert two_result["val_loss"] == pytest.approx(one_result.val_loss, abs=1e-4)
    a = load_file(tmp_path / "one" / "out" / "last" / "model.safetensors")
    b = load_file(tmp_path / "two" / "out" / "last" / "model.safetensors")
    assert all(torch.allclose(a[k], b[k], atol=1e-4) for k in a)
