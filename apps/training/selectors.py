"""Reads for training runs: those in experiments the requesting user may read
(apps.core.access), each with the user's `access_role`."""

from django.db.models import Case, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, When

from apps.core.access import Action, access_annotate, access_get, access_queryset, access_scope

from .models import TrainingLogLine, TrainingRun

Status = TrainingRun.Status


def _runs_ahead() -> Subquery:
    """How many runs, of every user, the `train` queue serves before a queued run: those
    training now and those queued before it. Counted from the rows, not the broker, so it
    reads the same whichever broker carries the tasks."""
    ahead = TrainingRun.objects.filter(
        Q(status=Status.RUNNING)
        | Q(status=Status.QUEUED, queued_at__lt=OuterRef("queued_at"))
        | Q(status=Status.QUEUED, queued_at=OuterRef("queued_at"), pk__lt=OuterRef("pk"))
    )
    # COUNT as a plain function, so the subquery is one row without a GROUP BY.
    count = Func("pk", function="COUNT", output_field=IntegerField())
    return Subquery(ahead.order_by().values(n=count), output_field=IntegerField())


def training_run_list(*, user, scope: str | None = None) -> QuerySet[TrainingRun]:
    """The runs the user may read; a queued one carries `runs_ahead`, the others None."""
    runs = access_annotate(access_queryset(TrainingRun, user=user), user=user)
    return (
        access_scope(runs, user=user, scope=scope)
        .select_related("run", "run__experiment", "dataset_version", "base_model_version__registered_model")
        .annotate(runs_ahead=Case(When(status=Status.QUEUED, then=_runs_ahead()), output_field=IntegerField()))
    )


def training_run_get(*, user, training_run_id: int, action: Action = Action.READ) -> TrainingRun:
    return access_get(training_run_list(user=user), user=user, pk=training_run_id, action=action)


def training_run_log(*, user, training_run_id: int) -> QuerySet[TrainingLogLine]:
    """The run's kept log lines, oldest first."""
    training_run = access_get(TrainingRun, user=user, pk=training_run_id)
    return TrainingLogLine.objects.filter(training_run=training_run).order_by("id")
