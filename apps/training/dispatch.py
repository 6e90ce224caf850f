"""The dispatcher: the only way a training run reaches Celery's `train` queue, so that one
account's queued runs never starve another's.

A created or resumed run waits (status queued) until `dispatch()` hands it over. Each pass,
under one PostgreSQL advisory lock so that concurrent passes never hand out a slot twice,
fills free slots:

- at most `SLOUGHGPT_TRAIN_SLOTS` runs hold a slot at once: those running with a live lease
  (apps.core.leases) and those handed over less than DISPATCH_DEADLINE ago that have not
  started yet (a message lost on the way frees its slot at the deadline, and the run is
  handed over again under a new task id, so the lost one does nothing if it turns up);
- an account (a run's experiment's team if team-owned, else its owner) holds at most
  `limits_for(account).concurrent_runs` slots;
- accounts with waiting runs take turns: the one whose last hand-over is oldest goes first,
  and within an account its oldest waiting run.

Passes run after a run is created or resumed, when one ends, and as a safety net every
PASS_EVERY_S while any run is queued or running (a self-scheduling task, as the sweep
scheduler waits for its deadline)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from apps.core.leases import lease_expired_before
from apps.quotas.accounts import Account
from apps.quotas.limits import limits_for

from .models import TrainingRun

Status = TrainingRun.Status
# A handed-over run that has not started after this long lost its message (a broker that
# restarted empty); it is handed over again. Long enough for a worker to finish the `train`
# task ahead of it in most cases; a run handed over twice still executes once.
DISPATCH_DEADLINE = timedelta(minutes=10)
# The safety-net pass's period, while runs are queued or running.
PASS_EVERY_S = 60
# pg_advisory_xact_lock's key for dispatch passes (any constant no other lock uses).
_LOCK_KEY = 0x7472_6169_6E00  # "train\0"
_PASS_SCHEDULED_KEY = "training:dispatch:pass-scheduled"
_TEAM, _OWNER = "run__experiment__team_id", "run__experiment__owner_id"


@dataclass(frozen=True)
class _Waiting:
    pk: int
    account: Account
    queued_at: datetime


def _account(row: dict) -> Account:
    return Account(team_id=row[_TEAM]) if row[_TEAM] is not None else Account(user_id=row[_OWNER])


def _handed_over(now: datetime) -> Q:
    """Handed over (since it last joined the line: a resume clears `dispatch_id`) less than
    DISPATCH_DEADLINE ago."""
    return Q(dispatch_id__gt="", dispatched_at__gte=now - DISPATCH_DEADLINE)


def _holds_slot(now: datetime) -> Q:
    """Runs training under a live lease, or handed over and not started yet. A running run
    whose lease expired lost its worker: the broker gives its task back (acks_late) and it
    takes its slot again when it restarts."""
    return (Q(status=Status.RUNNING, heartbeat_at__gte=lease_expired_before())
            | (Q(status__in=[Status.QUEUED, Status.RUNNING]) & _handed_over(now)))


def _waiting(now: datetime) -> list[_Waiting]:
    rows = (TrainingRun.objects.filter(status=Status.QUEUED).exclude(_handed_over(now))
            .order_by("queued_at", "pk").values("pk", "queued_at", _TEAM, _OWNER))
    return [_Waiting(row["pk"], _account(row), row["queued_at"]) for row in rows]


def _last_dispatches(accounts: set[Account]) -> dict[Account, datetime]:
    teams = {account.team_id for account in accounts if account.team_id is not None}
    users = {account.user_id for account in accounts if account.user_id is not None}
    rows = (TrainingRun.objects.filter(dispatched_at__isnull=False)
            .filter(Q(**{f"{_TEAM}__in": teams}) | Q(**{f"{_TEAM}__isnull": True, f"{_OWNER}__in": users}))
            .values(_TEAM, _OWNER).annotate(last=Max("dispatched_at")).order_by())
    return {_account(row): row["last"] for row in rows}


def _in_turn(waiting: list[_Waiting]) -> Iterator[_Waiting]:
    """Waiting runs in the order the accounts' turns come round: each round takes every
    account's next oldest run, accounts ordered by their last hand-over (never first), then
    by their oldest waiting run."""
    by_account: dict[Account, list[_Waiting]] = {}
    for run in waiting:  # oldest first
        by_account.setdefault(run.account, []).append(run)
    last = _last_dispatches(set(by_account))
    never = datetime.min.replace(tzinfo=UTC)
    accounts = sorted(by_account, key=lambda account: (last.get(account, never), by_account[account][0].queued_at))
    for turn in range(max((len(runs) for runs in by_account.values()), default=0)):
        for account in accounts:
            if turn < len(by_account[account]):
                yield by_account[account][turn]


def dispatch() -> list[int]:
    """Hands waiting runs to the `train` queue while slots are free (see the module's
    docstring); returns their ids. Their tasks are sent once this pass commits."""
    from .tasks import training_run_execute_task

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        now = timezone.now()
        holding = Counter(_account(row) for row in TrainingRun.objects.filter(_holds_slot(now)).values(_TEAM, _OWNER))
        free = settings.SLOUGHGPT_TRAIN_SLOTS - sum(holding.values())
        handed: list[tuple[int, str]] = []
        caps: dict[Account, int | None] = {}
        for run in _in_turn(_waiting(now)) if free > 0 else ():
            if len(handed) == free:
                break
            if run.account not in caps:
                caps[run.account] = limits_for(run.account).concurrent_runs
            cap = caps[run.account]
            if cap is not None and holding[run.account] >= cap:
                continue
            task_id = uuid.uuid4().hex
            TrainingRun.objects.filter(pk=run.pk).update(dispatched_at=now, dispatch_id=task_id)
            holding[run.account] += 1
            handed.append((run.pk, task_id))
        for pk, task_id in handed:
            transaction.on_commit(
                lambda pk=pk, task_id=task_id: training_run_execute_task.apply_async((pk,), task_id=task_id))
        if TrainingRun.objects.filter(status__in=[Status.QUEUED, Status.RUNNING]).exists():
            transaction.on_commit(_safety_pass_schedule)
    return [pk for pk, _ in handed]


def dispatch_after_commit() -> None:
    """A dispatch pass once the caller's transaction commits (the run it queued or ended is
    then visible to the pass). A pass that fails is logged, not raised: what the caller
    committed stands, and the next pass (the safety net at the latest) fills the slots."""
    transaction.on_commit(dispatch, robust=True)


def _safety_pass_schedule() -> None:
    """Queues the next safety-net pass unless one is already waiting, so however many
    passes run there is one chain of them."""
    from .tasks import training_dispatch_task

    if cache.add(_PASS_SCHEDULED_KEY, True, timeout=PASS_EVERY_S):
        training_dispatch_task.apply_async(countdown=PASS_EVERY_S)


def waiting_places() -> dict[int, int]:
    """Each waiting run's place in line: how many waiting runs the dispatcher hands over
    before it as slots free up (ignoring account caps, which only hold runs back)."""
    return {run.pk: place for place, run in enumerate(_in_turn(_waiting(timezone.now())))}
