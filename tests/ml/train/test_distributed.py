"""Two processes under torchrun (gloo, CPU) learn what one process with 2x accumulation does,
and their sharded checkpoint resumes in one process as if it had trained there all along."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from ml.train import Callbacks, load_train_config, train
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
    two_result = _torchrun_train(overrides)

    # then they agree on losses and weights, up to floating-point summation order
    assert two_result["steps"] == one_result.steps == 6
    assert two_result["tokens"] == one_result.tokens
    assert two_result["val_loss"] == pytest.approx(one_result.val_loss, abs=1e-4)
    a = load_file(tmp_path / "one" / "out" / "last" / "model.safetensors")
    b = load_file(tmp_path / "two" / "out" / "last" / "model.safetensors")
    assert all(torch.allclose(a[k], b[k], atol=1e-4) for k in a)


@pytest.mark.slow
def test_a_checkpoint_saved_by_two_processes_resumes_in_one(tmp_path):
    # given a run stopped at step 4 of 8 by two processes, and the same run in one process
    # with double accumulation that trains all 8 steps
    common = ("train.max_iters=8", "optim.decay_iters=8", "train.eval_interval=4", "model.dropout=0.0",
              "train.log_interval=1", "optim.lr=3e-3")
    two = tiny_overrides(tmp_path / "split", *common, "train.distributed='ddp'")
    _torchrun_train([*two, "train.max_iters=4"], expect_steps=4)
    last = tmp_path / "split" / "out" / "last"
    assert (last / "dcp" / ".metadata").is_file()
    whole = train(tiny_config(tmp_path / "whole", *common, "train.grad_accum=2"))

    # when one process resumes the two processes' checkpoint
    lines: list[str] = []
    resumed = train(
        load_train_config(None, [*two, "train.grad_accum=2", "train.resume=true"]),
        Callbacks(on_log=lines.append),
    )

    # then it continued from step 4 with their optimizer state and ends where one process does
    assert any("at step 4" in line for line in lines)
    assert resumed.steps == 8 and resumed.tokens == whole.tokens
    assert resumed.val_loss == pytest.approx(whole.val_loss, abs=1e-4)
    a = load_file(tmp_path / "whole" / "out" / "last" / "model.safetensors")
    b = load_file(last / "model.safetensors")
    assert all(torch.allclose(a[k], b[k], atol=1e-4) for k in a)


def _torchrun_train(overrides: list[str], expect_steps: int | None = None) -> dict:
    """`sloughgpt train` under torchrun with 2 CPU processes; its result line."""
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
               "--standalone", "--monitor-interval", "0.1", "-m", "ml.cli", "train"]
    for item in overrides:
        command += ["--set", item]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    done = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if expect_steps is not None:
        assert result["steps"] == expect_steps
    return result
