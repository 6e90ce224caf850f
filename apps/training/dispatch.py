"""The dispatcher: the only way a training run reaches Celery's `train` queue, so that one
user's queued runs never starve another's.

A created or resumed run waits (status queued) until `dispatch()` hands it over. Each pass,
under one PostgreSQL advisory lock so that concurrent passes never hand out a slot twice,
fills free slots:

- at most `SLOUGHGPT_TRAIN_SLOTS` runs hold a slot at once: those running with a live lease
  (apps.core.leases) and those handed over less than DISPATCH_DEADLINE ago that have not
  started yet (a message lost on the way frees its slot at the deadline, and the run is
  handed over again under a new task id, so the lost one does nothing if it turns up);
- a run counts against its account (its experiment's team if team-owned, else the
  experiment's owner) and against the user who queued it (apps.training.compute
  .charged_accounts); each holds at most `limits_for(account).concurrent_runs` slots, so a
  user's own cap holds in every team they train in;
- users with waiting runs take turns, one run each per round, however many teams' experiments
  their runs are in: the user whose last hand-over is oldest goes first (one never handed a
  run before goes before them all), and each turn takes the user's oldest waiting run that
  its caps let start.

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
from django.db.models import Count, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.core.leases import lease_expired_before
from apps.quotas.accounts import Account
from apps.quotas.limits import limits_for

from .compute import charged_accounts
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
    user_id: int  # who queued it: turns go round users
    accounts: tuple[Account, ...]  # whose caps it counts against
    queued_at: datetime


def _accounts(row: dict) -> tuple[Account, ...]:
    account = Account(team_id=row[_TEAM]) if row[_TEAM] is not None else Account(user_id=row[_OWNER])
    return tuple(charged_accounts(account, row["owner_id"]))


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


def _waiting_runs(now: datetime):
    return TrainingRun.objects.filter(status=Status.QUEUED).exclude(_handed_over(now))


def _waiting(now: datetime) -> list[_Waiting]:
    rows = _waiting_runs(now).order_by("queued_at", "pk").values("pk", "queued_at", "owner_id", _TEAM, _OWNER)
    return [_Waiting(row["pk"], row["owner_id"], _accounts(row), row["queued_at"]) for row in rows]


_NEVER = datetime.min.replace(tzinfo=UTC)


def _user_order(first_waiting: dict[int, datetime]) -> list[int]:
    """The users with waiting runs (each with when their oldest was queued) in the order
    their turns come: last handed a run longest ago first (never before all), then by their
    oldest waiting run."""
    last = dict(TrainingRun.objects.filter(owner_id__in=first_waiting, dispatched_at__isnull=False)
                .values("owner_id").annotate(last=Max("dispatched_at")).order_by().values_list("owner_id", "last"))
    return sorted(first_waiting, key=lambda user: (last.get(user, _NEVER), first_waiting[user], user))


def _in_turn(waiting: list[_Waiting], may_start=lambda run: True) -> Iterator[_Waiting]:
    """Waiting runs in the order users' turns come round: each round gives every user with
    waiting runs one turn, which takes their oldest run that `may_start` (asked as the turn
    comes, so it sees the runs handed over before it)."""
    by_user: dict[int, list[_Waiting]] = {}
    for run in waiting:  # oldest first
        by_user.setdefault(run.user_id, []).append(run)
    order = _user_order({user: runs[0].queued_at for user, runs in by_user.items()})
    while True:
        took = False
        for user in order:
            line = by_user[user]
            run = next((run for run in line if may_start(run)), None)
            if run is not None:
                line.remove(run)
                took = True
                yield run
        if not took:
            return


def dispatch() -> list[int]:
    """Hands waiting runs to the `train` queue while slots are free (see the module's
    docstring); returns their ids. Their tasks are sent once this pass commits."""
    from .tasks import training_run_execute_task

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        now = timezone.now()
        holders = TrainingRun.objects.filter(_holds_slot(now)).values("owner_id", _TEAM, _OWNER)
        free = settings.SLOUGHGPT_TRAIN_SLOTS - len(holders)
        holding = Counter(account for row in holders for account in _accounts(row))
        handed: list[tuple[int, str]] = []
        caps: dict[Account, int | None] = {}

        def cap(account: Account) -> int | None:
            if account not in caps:
                caps[account] = limits_for(account).concurrent_runs
            return caps[account]

        def may_start(run: _Waiting) -> bool:
            return all(cap(account) is None or holding[account] < cap(account) for account in run.accounts)

        for run in _in_turn(_waiting(now), may_start) if free > 0 else ():
            task_id = uuid.uuid4().hex
            TrainingRun.objects.filter(pk=run.pk).update(dispatched_at=now, dispatch_id=task_id)
            holding.update(run.accounts)
            handed.append((run.pk, task_id))
            if len(handed) == free:
                break
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


def waiting_places(run_ids) -> dict[int, int]:
    """The place in line of each of these runs that is waiting: how many waiting runs the
    dispatcher hands over before it as slots free up (ignoring caps, which only hold runs
    back). Three queries however long the line: a run that is its user's k-th waiting comes
    in round k, after every user's first k and after the k-th of the users before its own."""
    waiting = _waiting_runs(timezone.now())
    own_ahead = (waiting.filter(owner_id=OuterRef("owner_id"))
                 .filter(Q(queued_at__lt=OuterRef("queued_at")) | Q(queued_at=OuterRef("queued_at"), pk__lt=OuterRef("pk")))
                 .order_by().values("owner_id").annotate(n=Count("pk")).values("n"))
    page = list(waiting.filter(pk__in=list(run_ids))
                .annotate(own_ahead=Coalesce(Subquery(own_ahead), 0)).values("pk", "owner_id", "own_ahead"))
    if not page:
        return {}
    lines = {row["owner_id"]: (row["n"], row["first"]) for row in
             waiting.order_by().values("owner_id").annotate(n=Count("pk"), first=Min("queued_at"))}
    order = _user_order({user: first for user, (_, first) in lines.items()})
    turn = {user: index for index, user in enumerate(order)}
    lengths = [lines[user][0] for user in order]
    places = {}
    for row in page:
        k = row["own_ahead"]
        earlier_rounds = sum(min(length, k) for length in lengths)
        this_round = sum(1 for length in lengths[:turn[row["owner_id"]]] if length > k)
        places[row["pk"]] = earlier_rounds + this_round
    return places
