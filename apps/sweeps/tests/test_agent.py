"""Sweeps for any script, end to end on a live server with a real API token: the Python
client's agent runs trials, is told to prune a bad one, and finishes the sweep; the CLI agent
runs a command that reads its params from the environment and prints its results; an agent
waits out a paused sweep, and an interrupted one records its trial as failed."""

from __future__ import annotations

import sys

import pytest

from apps.accounts.services import api_token_create
from apps.experiments.models import MetricSeries
from apps.sweeps.models import Sweep
from apps.sweeps.services import sweep_pause, sweep_resume
from ml.cli import main as cli_main
from sloughgpt import sweep as agent_module
from sloughgpt.client import Client, RetryPolicy
from sloughgpt.sweep import TrialPruned

from .factories import external_sweep

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def user_and_client(live_server, make_user, monkeypatch):
    user = make_user()
    monkeypatch.setenv("SLOUGHGPT_URL", live_server.url)
    monkeypatch.setenv("SLOUGHGPT_API_TOKEN", api_token_create(user=user, name="agent").secret)
    return user, Client(retry=RetryPolicy(attempts=2, backoff=0.01, max_backoff=0.05))


def test_the_python_agent_runs_the_sweep_and_a_bad_trial_is_pruned(user_and_client):
    # given a sweep whose pruner judges from the first complete trial on
    user, client = user_and_client
    sweep = external_sweep(user, max_trials=3, pruner="median", pruner_startup_trials=1)
    seen = []

    def train(trial):
        seen.append(trial.params)
        loss = {0: 1.0, 1: 10.0, 2: 0.5}[trial.number]
        for step in range(3):
            if trial.report(loss, step=step):
                raise TrialPruned()
        return loss

    # when
    ran = client.sweep_agent(sweep.pk, train)
    # then
    sweep = Sweep.objects.get(pk=sweep.pk)
    assert ran == 3 and sweep.status == "finished"
    states = {t.number: (t.state, t.state_detail) for t in sweep.trials.all()}
    assert states[1] == ("pruned", "pruned at step 0")
    assert states[0][0] == states[2][0] == "complete"
    assert sweep.best_trial.objective == min(t.objective for t in sweep.trials.filter(state="complete"))
    assert all(set(p) == {"lr", "layers"} and 1 <= p["layers"] <= 4 for p in seen)
    # and each trial is a tracked run of the sweep's experiment with its reported values
    first = sweep.trials.get(number=0)
    assert first.run.experiment_id == sweep.experiment_id and first.run.status == "finished"
    assert MetricSeries.objects.get(run=first.run, key="loss").count == 3


def test_the_cli_agent_runs_a_command_with_the_trials_params(user_and_client, tmp_path, capsys):
    # given a script that reads its params and prints its objective
    user, _ = user_and_client
    sweep = external_sweep(user, max_trials=2)
    script = tmp_path / "train.py"
    script.write_text(
        "from sloughgpt.sweep import objective, params, report\n"
        "p = params()\n"
        "print('training with', p['layers'], 'layers')\n"
        "report(2.0, step=1)\n"
        "objective(p['lr'] * p['layers'])\n"
    )
    # when
    code = cli_main(["sweep", "agent", str(sweep.pk), "--", sys.executable, str(script)])
    # then
    assert code == 0
    out = capsys.readouterr().out
    assert "training with" in out and "ran 2 trials" in out
    trials = list(Sweep.objects.get(pk=sweep.pk).trials.all())
    assert [t.state for t in trials] == ["complete", "complete"]
    assert all(t.objective == pytest.approx(t.params["lr"] * t.params["layers"]) for t in trials)



def test_an_agent_waits_while_the_sweep_is_paused_and_runs_once_resumed(user_and_client, monkeypatch):
    # given a paused sweep, resumed while the agent waits
    user, client = user_and_client
    sweep = external_sweep(user, max_trials=2)
    sweep_pause(user=user, sweep_id=sweep.pk)
    waits = []

    def wait(seconds):
        waits.append(seconds)
        sweep_resume(user=user, sweep_id=sweep.pk)

    monkeypatch.setattr(agent_module.time, "sleep", wait)
    # when
    ran = client.sweep_agent(sweep.pk, lambda trial: trial.params["lr"])
    # then
    assert len(waits) == 1 and 0 < waits[0] <= agent_module.MAX_POLL_S
    assert ran == 2 and Sweep.objects.get(pk=sweep.pk).status == "finished"


def test_an_interrupted_agent_records_its_trial_as_failed(user_and_client):
    # given
    user, client = user_and_client
    sweep = external_sweep(user, max_trials=2)

    def interrupted(trial):
        raise KeyboardInterrupt

    # when
    with pytest.raises(KeyboardInterrupt):
        client.sweep_agent(sweep.pk, interrupted)
    # then
    trial = Sweep.objects.get(pk=sweep.pk).trials.get()
    assert (trial.state, trial.error) == ("failed", "the agent stopped: KeyboardInterrupt")
