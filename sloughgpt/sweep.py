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
A child that exits non-zero, or without an objective, records a failed trial; a malformed
`sloughgpt:` line is skipped with a warning.

While the sweep is paused, or all its parallel places are taken, the agent waits and asks
again (as often as the server says, at most every MAX_POLL_S seconds); it stops once the
sweep takes no more trials. While a trial runs the agent beats its heartbeat, so a trial
whose agent died (killed, its machine lost) is failed by the server after its timeout; an
agent stopped mid-trial (Ctrl-C) records the trial as failed on its way out."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import Client

log = logging.getLogger(__name__)
PREFIX = "sloughgpt:"
# The longest an agent waits before asking again for a trial of a paused or full sweep.
MAX_POLL_S = 30.0


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


    def heartbeat(self) -> None:
        self.client.request("POST", f"sweeps/{self.sweep_id}/trials/{self.id}/heartbeat/")


def next_trial(client: Client, sweep_id: int) -> tuple[SweepTrial | None, float | None, float]:
    """The next trial, or None and the seconds to wait before asking again (None: the sweep
    takes no more); and how often to beat the trial's heartbeat."""
    body = client.request("POST", f"sweeps/{sweep_id}/trials/next/").json()
    trial, beat = body["trial"], float(body.get("heartbeat_s") or 60)
    if trial is None:
        wait = body.get("retry_after")
        return None, (None if wait is None else min(float(wait), MAX_POLL_S)), beat
    return SweepTrial(client, sweep_id, trial["id"], trial["number"], trial["params"], trial["run"]), None, beat


@contextmanager
def _beating(trial: SweepTrial, every_s: float) -> Iterator[None]:
    """Beats the trial's heartbeat every `every_s` seconds while the block runs (a function
    that reports rarely is not taken for a dead agent). A failed beat is logged; the next
    one tries again."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every_s):
            try:
                trial.heartbeat()
            except Exception:
                log.warning("heartbeat of trial %s failed", trial.number, exc_info=True)

    thread = threading.Thread(target=beat, name=f"sweep-trial-{trial.id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _trial_run(trial: SweepTrial, function: Callable[[SweepTrial], float], beat_s: float) -> None:
    """Runs one trial and tells the server how it ended, whatever ends it: an interrupt or
    exit (Ctrl-C, SystemExit) still records the trial as failed, then goes on up."""
    try:
        with _beating(trial, beat_s):
            try:
                value = function(trial)
            except TrialPruned:
                trial.finish("pruned")
            except Exception as exc:
                log.exception("trial %s failed", trial.number)
                trial.finish("failed", error=f"{type(exc).__name__}: {exc}")
            else:
                trial.finish("complete", objective=float(value))
    except BaseException as exc:
        try:
            trial.finish("failed", error=f"the agent stopped: {type(exc).__name__}")
        except Exception:
            log.warning("could not record trial %s as failed", trial.number, exc_info=True)
        raise


def run_agent(client: Client, sweep_id: int, function: Callable[[SweepTrial], float],
              *, count: int | None = None) -> int:
    """Runs trials until the sweep takes no more (or `count` ran); returns how many ran.
    A function that raises fails its trial (the agent goes on with the next); while the
    sweep is paused or full the agent waits and asks again."""
    ran = 0
    while count is None or ran < count:
        trial, wait, beat_s = next_trial(client, sweep_id)
        if trial is None:
            if wait is None:
                break
            time.sleep(wait)
            continue
        ran += 1
        _trial_run(trial, function, beat_s)
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
        try:
            for line in child.stdout:
                said = line.strip().split()
                if not said or said[0] not in (f"{PREFIX}report", f"{PREFIX}objective"):
                    sys.stdout.write(line)
                    continue
                try:
                    if said[0] == f"{PREFIX}objective":
                        (value,) = said[1:]
                        objective = float(value)
                        continue
                    step, value = said[1:]
                    step, value = int(step), float(value)
                except ValueError:
                    log.warning("skipped a malformed line from the command: %r", line.rstrip())
                    continue
                if not pruned and trial.report(value, step):
                    pruned = True
                    child.terminate()
            code = child.wait()
        finally:
            # Whatever stopped the reading (the server, an interrupt), no child outlives it.
            if child.poll() is None:
                child.kill()
                child.wait()
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
