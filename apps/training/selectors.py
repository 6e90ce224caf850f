"""Reads for training runs: those in experiments the requesting user may read
(apps.core.access), each with the user's `access_role`; waiting runs' places in line; the
compute an account's runs used in a month."""

from datetime import datetime

from django.db.models import Q, QuerySet, Sum

from apps.core.access import Action, access_annotate, access_get, access_queryset, access_scope
from apps.quotas.accounts import Account

from .dispatch import waiting_places
from .models import TrainingComputeUsage, TrainingLogLine, TrainingRun

Status = TrainingRun.Status


def training_run_list(*, user, scope: str | None = None) -> QuerySet[TrainingRun]:
    """The runs the user may read (a waiting run's place in line: training_run_places)."""
    runs = access_annotate(access_queryset(TrainingRun, user=user), user=user)
    return (
        access_scope(runs, user=user, scope=scope)
        .select_related("run", "run__experiment", "dataset_version", "base_model_version__registered_model")
    )


def training_run_get(*, user, training_run_id: int, action: Action = Action.READ) -> TrainingRun:
    return access_get(training_run_list(user=user), user=user, pk=training_run_id, action=action)


def training_run_places(training_run_ids) -> dict[int, int]:
    """Of these runs, those waiting for a slot, by id: how many waiting runs (of every user)
    the dispatcher hands over before each."""
    return waiting_places(training_run_ids)


def training_run_log(*, user, training_run_id: int) -> QuerySet[TrainingLogLine]:
    """The run's kept log lines, oldest first."""
    training_run = access_get(TrainingRun, user=user, pk=training_run_id)
    return TrainingLogLine.objects.filter(training_run=training_run).order_by("id")


def account_runs_filter(account: Account, *, prefix: str = "") -> Q:
    """TrainingRun rows (reached through `prefix`) whose slots count against `account`: its
    team's experiments' runs; for a user, their private experiments' runs and every run they
    queued, in whoever's experiment (apps.training.compute.charged_accounts)."""
    experiment = f"{prefix}run__experiment__"
    if account.team_id is not None:
        return Q(**{f"{experiment}team_id": account.team_id})
    return (Q(**{f"{experiment}team__isnull": True, f"{experiment}owner_id": account.user_id})
            | Q(**{f"{prefix}owner_id": account.user_id}))


def compute_used_seconds(*, account: Account, month_start: datetime) -> float:
    """CPU-seconds plus GPU-seconds charged to the account in the month starting at
    `month_start` (UTC), as the workers measured them so far: for a team, what was measured
    in its experiments; for a user, in their private experiments and in every run they
    queued. Where the compute was charged when measured, whatever moved or was deleted since."""
    usage = TrainingComputeUsage.objects.filter(month=month_start.date())
    if account.team_id is not None:
        usage = usage.filter(team_id=account.team_id)
    else:
        usage = usage.filter(Q(account_user_id=account.user_id) | Q(user_id=account.user_id))
    used = usage.aggregate(cpu=Sum("cpu_seconds", default=0.0), gpu=Sum("gpu_seconds", default=0.0))
    return float(used["cpu"] + used["gpu"])
