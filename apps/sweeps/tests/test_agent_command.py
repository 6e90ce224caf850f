"""The CLI agent's side of a trial's command, without a server: malformed result lines are
skipped, and a command never outlives the agent's reading of it."""

from __future__ import annotations

import logging
import os
import sys

import pytest

from sloughgpt.sweep import SweepTrial, command_trial


class _Trial(SweepTrial):
    """A trial whose reports go to a list, or fail as a lost server would."""

    def __init__(self, *, fail_reports: bool = False):
        super().__init__(client=None, sweep_id=1, id=1, number=0, params={"lr": 0.1}, run_id=None)
        self.fail_reports = fail_reports

    def report(self, value: float, step: int) -> bool:
        if self.fail_reports:
            raise ConnectionError("the server went away")
        self.reported.append((step, value))
        return False


def test_malformed_lines_are_skipped_with_a_warning(tmp_path, caplog):
    # given a command that prints broken result lines among good ones
    script = tmp_path / "train.py"
    script.write_text(
        "print('sloughgpt:report one 2.0')\n"
        "print('sloughgpt:report 3')\n"
        "print('sloughgpt:objective')\n"
        "print('sloughgpt:report 4 1.5')\n"
        "print('sloughgpt:objective 0.25')\n"
    )
    trial = _Trial()
    # when
    with caplog.at_level(logging.WARNING, logger="sloughgpt.sweep"):
        objective = command_trial(trial, [sys.executable, str(script)])
    # then
    assert objective == 0.25 and trial.reported == [(4, 1.5)]
    assert sum("malformed" in record.message for record in caplog.records) == 3


def test_the_command_is_stopped_when_the_agent_cannot_go_on(tmp_path):
    # given a command that reports, then runs long
    pid_file = tmp_path / "pid"
    script = tmp_path / "train.py"
    script.write_text(
        "import os, time\n"
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "print('sloughgpt:report 1 2.0', flush=True)\n"
        "time.sleep(600)\n"
    )
    # when its report cannot reach the server
    with pytest.raises(ConnectionError):
        command_trial(_Trial(fail_reports=True), [sys.executable, str(script)])
    # then the command is gone
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)
