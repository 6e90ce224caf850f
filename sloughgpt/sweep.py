"""Sweeps for any script, W&B-agent style. An agent asks the server for a trial's params,
runs the user's code with them, sends its intermediate values (the server answers whether
the sweep's pruner would stop it) and its final objective.

In Python:

    def train(trial):
        for epoch in range(10):
            loss = ...  # train with trial.params["lr"], ...
            if trial.report(loss, step=epoch):  # True: the pruner says stop
                raise TrialPruned()
        return loss

    Client().sweep_agent(SWEEP_ID, train)

Any program (`sloughgpt sweep agent SWEEP_ID -- python train.py`): the child gets the trial
in its environment (SLOUGHGPT_TRIAL_PARAMS as JSON, SLOUGHGPT_TRIAL_PARAMS_FILE naming a JSON
file with the same, SLOUGHGPT_SWEEP_ID, SLOUGHGPT_TRIAL_ID, SLOUGHGPT_RUN_ID) and speaks on
stdout, one line each (every other line passes through):

    sloughgpt:report STEP VALUE   an intermediate value; a trial the pruner stops is ended
                                  (SIGTERM) and recorded as pruned
    sloughgpt:objective VALUE     the final objective (the last one counts)

The helpers below print those lines: `params()`, `report(value, step)`, `objective(value)`.
A child that exits non-zero, or without an objective, records a failed trial."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import Client

log = logging.getLogger(__name__)
PREFIX = "sloughgpt:"


class TrialPruned(Exception):
    """Raised by a trial's function to end it as pruned."""


@dataclass
class SweepTrial:
    """One trial an agent runs: its params and tracked run, and a way to report progress."""

    client: Client
    sweep_id: int
    id: int
    number: int
    params: dict[str, Any]
    run_id: int | None
    reported: list[tuple[int, float]] = field(default_factory=list)

    def report(self, value: float, step: int) -> bool:
        """Sends an intermediate objective value; True when the pruner would stop the trial."""
        self.reported.append((step, float(value)))
        body = self.client.request("POST", f"sweeps/{self.sweep_id}/trials/{self.id}/report/",
                                   json={"step": int(step), "value": float(value)}).json()
        return bool(body["should_prune"])

    def finish(self, state: str, objective: float | None = None, error: str = "") -> None:
        self.client.request("POST", f"sweeps/{self.sweep_id}/trials/{self.id}/finish/",
                            json={"state": state, "objective": objective, "error": error[:2000]})


def next_trial(client: Client, sweep_id: int) -> SweepTrial | None:
    body = client.request("POST", f"sweeps/{sweep_id}/trials/next/").json()
    trial = body["trial"]
    if trial is None:
        return None
    return SweepTrial(client, sweep_id, trial["id"], trial["number"], trial["params"], trial["run"])


def run_agent(client: Client, sweep_id: int, function: Callable[[SweepTrial], float],
              *, count: int | None = None) -> int:
    """Runs trials until the sweep takes no more (or `count` ran); returns how many ran.
    A function that raises fails its trial (the agent goes on with the next)."""
    ran = 0
    while count is None or ran < count:
        trial = next_trial(client, sweep_id)
        if trial is None:
            break
        ran += 1
        try:
            value = function(trial)
        except TrialPruned:
            trial.finish("pruned")
        except Exception as exc:
            log.exception("trial %s failed", trial.number)
            trial.finish("failed", error=f"{type(exc).__name__}: {exc}")
        else:
            trial.finish("complete", objective=float(value))
    return ran


def command_trial(trial: SweepTrial, command: Sequence[str]) -> float:
    """Runs `command` as the trial's child (see the module docstring for what it gets and
    says); returns its objective, raising TrialPruned or RuntimeError for the other ends."""
    with tempfile.TemporaryDirectory() as folder:
        params_file = os.path.join(folder, "params.json")
        with open(params_file, "w", encoding="utf-8") as handle:
            json.dump(trial.params, handle)
        env = dict(os.environ, SLOUGHGPT_SWEEP_ID=str(trial.sweep_id), SLOUGHGPT_TRIAL_ID=str(trial.id),
                   SLOUGHGPT_RUN_ID=str(trial.run_id or ""), SLOUGHGPT_TRIAL_PARAMS=json.dumps(trial.params),
                   SLOUGHGPT_TRIAL_PARAMS_FILE=params_file)
        child = subprocess.Popen(list(command), env=env, stdout=subprocess.PIPE, text=True, bufsize=1)
        objective, pruned = None, False
        assert child.stdout is not None
        for line in child.stdout:
            said = line.strip().split()
            if not said or said[0] not in (f"{PREFIX}report", f"{PREFIX}objective"):
                sys.stdout.write(line)
                continue
            if said[0] == f"{PREFIX}objective":
                objective = float(said[1])
            elif not pruned and trial.report(float(said[2]), int(said[1])):
                pruned = True
                child.terminate()
        code = child.wait()
    if pruned:
        raise TrialPruned()
    if code != 0:
        raise RuntimeError(f"the command exited with code {code}")
    if objective is None:
        raise RuntimeError(f"the command printed no '{PREFIX}objective VALUE' line")
    return objective


# ---- the child's side ----------------------------------------------------------------------

def params() -> dict[str, Any]:
    """This trial's params (in a child of `sloughgpt sweep agent`)."""
    return json.loads(os.environ.get("SLOUGHGPT_TRIAL_PARAMS", "{}"))


def report(value: float, step: int) -> None:
    print(f"{PREFIX}report {int(step)} {float(value)!r}", flush=True)


def objective(value: float) -> None:
    print(f"{PREFIX}objective {float(value)!r}", flush=True)
