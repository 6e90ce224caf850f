"""The program torchrun starts for each process of a multi-process training run
(apps.training.launch): `python -m apps.training.torchrun_entry <training run id>`. It takes
nothing else: its rank comes from torchrun, what it trains from the run's stored config.

SLOUGHGPT_TEST_EXIT_AT_STEP=N (tests only, never a run option) makes the last rank exit
abruptly before step N, as a process killed mid-run would, in the first start, or in the first
SLOUGHGPT_TEST_EXIT_STARTS starts."""

from __future__ import annotations

import os
import sys


def _exit_hook():
    """Before-step hook of the process the test setting stops, or None."""
    exit_at = int(os.environ.get("SLOUGHGPT_TEST_EXIT_AT_STEP", "0"))
    last_rank = int(os.environ["RANK"]) == int(os.environ["WORLD_SIZE"]) - 1
    starts = int(os.environ.get("SLOUGHGPT_TEST_EXIT_STARTS", "1"))
    exiting_start = int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")) < starts
    if not (exit_at and last_rank and exiting_start):
        return None
    steps = iter(range(1, exit_at + 1))

    def hook() -> None:
        if next(steps, exit_at) == exit_at:
            os._exit(1)

    return hook


def main(argv: list[str]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sloughgpt_site.settings.local")
    django.setup()
    from apps.training.services import training_run_rank_execute

    training_run_rank_execute(training_run_id=int(argv[0]), step_hook=_exit_hook())


if __name__ == "__main__":
    main(sys.argv[1:])
