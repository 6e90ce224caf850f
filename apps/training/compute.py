"""Training compute: what an execution uses, measured in the worker process, recorded per
calendar month (UTC) against whom it is charged, and the monthly compute quota
(`limits_for(account).compute_seconds_per_month`, CPU-seconds and GPU-seconds together) that
creating, resuming and continuing a run must stay within.

A run is charged to two accounts, which may be one: its experiment's (a team, or the
experiment's owner) and that of the user who queued it, whose own limits hold whichever
experiment they train in, so joining or making teams never adds to one person's compute or
concurrent runs."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from django.db.models import F
from django.utils import timezone

from apps.quotas.accounts import Account
from apps.quotas.errors import QuotaExceeded
from apps.quotas.limits import limits_for

from .models import TrainingComputeUsage, TrainingRun


def month_start(moment: datetime | None = None) -> datetime:
    """Midnight UTC on the first day of `moment`'s month (now's by default)."""
    moment = (moment or timezone.now()).astimezone(UTC)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month_start(moment: datetime | None = None) -> datetime:
    return month_start(month_start(moment) + timedelta(days=32))


class ComputeMeter:
    """This process's CPU time (every thread's, as the engine's intra-op threads count too)
    and wall time times `gpus`, since the last `take`, times `processes`. A worker process runs
    one execution at a time, so the process's time is the run's; rank 0 of a multi-process run
    counts for every process (they do the same work), and the worker waiting for them for none."""

    def __init__(self, gpus: int, processes: int = 1):
        self.gpus, self.processes = gpus, processes
        self._cpu, self._wall = time.process_time(), time.monotonic()

    def take(self) -> tuple[float, float]:
        """(CPU-seconds, GPU-seconds) used since the meter started or last took."""
        cpu, wall = time.process_time(), time.monotonic()
        used = ((cpu - self._cpu) * self.processes, (wall - self._wall) * self.gpus * self.processes)
        self._cpu, self._wall = cpu, wall
        return used


def cuda_devices_used() -> int:
    """The CUDA devices an execution in this process trains on: the engine's "auto" device
    (the only one a run may have) is the process's CUDA device when there is one."""
    import torch

    return 1 if torch.cuda.is_available() else 0


def charged_accounts(account: Account, user_id: int) -> list[Account]:
    """The accounts a run counts against: its experiment's `account`, and the account of the
    user who queued it (`user_id`), once where they are the same."""
    mine = Account(user_id=user_id)
    return [account] if account == mine else [account, mine]


def compute_record(*, training_run_id: int, account: Account, user_id: int, cpu_seconds: float,
                   gpu_seconds: float) -> None:
    """Adds used compute to the run's totals and to this month's usage, charged to `account`
    (its experiment's as the execution found it) and to `user_id`, who queued the run."""
    if cpu_seconds <= 0 and gpu_seconds <= 0:
        return
    TrainingRun.objects.filter(pk=training_run_id).update(
        cpu_seconds=F("cpu_seconds") + cpu_seconds, gpu_seconds=F("gpu_seconds") + gpu_seconds)
    row = {"training_run_id": training_run_id, "month": month_start().date(), "team_id": account.team_id,
           "account_user_id": account.user_id}
    # One execution records a run's compute at a time (its lease), so no other writer races
    # to create the month's row.
    updated = TrainingComputeUsage.objects.filter(**row).update(
        cpu_seconds=F("cpu_seconds") + cpu_seconds, gpu_seconds=F("gpu_seconds") + gpu_seconds)
    if not updated:
        TrainingComputeUsage.objects.create(**row, user_id=user_id, cpu_seconds=cpu_seconds, gpu_seconds=gpu_seconds)


def compute_spent_message(*accounts: Account) -> str | None:
    """Why a run charged to `accounts` may not train now (one's month's compute is spent),
    or None."""
    from .selectors import compute_used_seconds

    start = month_start()
    for account in accounts:
        limit = limits_for(account).compute_seconds_per_month
        if limit is None:
            continue
        used = compute_used_seconds(account=account, month_start=start)
        if used >= limit:
            whose = "" if account.user_id is not None else " by the experiment's team"
            return f"compute quota for {start:%B %Y} spent{whose}: {used:,.0f} of {limit:,} CPU/GPU-seconds"
    return None


def compute_quota_check(*accounts: Account) -> None:
    """Refuses new training (429) while the compute for the month of one of the accounts a
    run is charged to is spent; it lifts at the next month's start (UTC)."""
    message = compute_spent_message(*accounts)
    if message is not None:
        reset_at = next_month_start()
        retry_after = max(1, int((reset_at - timezone.now()).total_seconds()))
        raise QuotaExceeded(f"{message}; the quota resets at {reset_at.isoformat()}.", retry_after, reset_at,
                            limit="compute_seconds_per_month")
