"""Learning-rate schedules as a user sees them: the lr at chosen steps."""

import io

import pytest
import torch

from ml.train.config import OptimConfig
from ml.train.schedule import build_optimizer, build_scheduler


def lrs(schedule, steps=100, **fields):
    model = torch.nn.Linear(4, 4)
    cfg = OptimConfig(schedule=schedule, lr=1e-3, min_lr=1e-4, **fields)
    optimizer = build_optimizer(model, cfg, torch.device("cpu"))
    scheduler = build_scheduler(optimizer, cfg, steps)
    seen = []
    for _ in range(steps):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return seen, scheduler


def test_warmup_then_cosine_reaches_min_lr_at_decay_end_and_holds():
    lr, _ = lrs("cosine", warmup_iters=10, decay_iters=80)
    assert lr[0] == pytest.approx(1e-3 / 11)
    assert lr[10] == pytest.approx(1e-3)
    assert lr[45] < lr[20] < lr[10]
    assert lr[80] == pytest.approx(1e-4) and lr[99] == pytest.approx(1e-4)


@pytest.mark.parametrize(
    "schedule, step, expected",
    [("constant", 50, 1e-3), ("linear", 99, 1e-4 + 9e-4 / 90), ("polynomial", 55, 1e-3 * 0.5)],
)
def test_decay_shapes(schedule, step, expected):
    lr, _ = lrs(schedule, warmup_iters=10)
    assert lr[step] == pytest.approx(expected, rel=1e-6)


def test_one_cycle_and_cyclic_rise_and_fall():
    one, _ = lrs("one_cycle", warmup_iters=20)
    assert max(one) == pytest.approx(1e-3) and one[0] < 1e-4 and one[-1] < 2e-4
    assert one.index(max(one)) in (19, 20)
    cyc, _ = lrs("cyclic", cycle_iters=25)
    assert cyc[0] == pytest.approx(1e-4) and cyc[25] == pytest.approx(1e-3)
    assert cyc[50] == pytest.approx(1e-4)


@pytest.mark.parametrize(
    "schedule", ["constant", "cosine", "linear", "one_cycle", "cyclic", "polynomial"]
)
def test_scheduler_state_loads_without_unpickling_code(schedule):
    _, scheduler = lrs(schedule, steps=20, warmup_iters=5)
    buffer = io.BytesIO()
    torch.save(scheduler.state_dict(), buffer)
    buffer.seek(0)
    assert torch.load(buffer, weights_only=True)["last_epoch"] == 20
