"""Reads for training runs, scoped to the requesting user."""

from django.db.models import Case, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, When

from apps.core.selectors import owned_get, owned_queryset

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


def training_run_list(*, user) -> QuerySet[TrainingRun]:
    """The user's runs; a queued one carries `runs_ahead`, the others None."""
    return (
        owned_queryset(TrainingRun, user=user)
        .select_related("run", "run__experiment", "dataset_version", "base_model_version__registered_model")
        .annotate(runs_ahead=Case(When(status=Status.QUEUED, then=_runs_ahead()), output_field=IntegerField()))
    )


def training_run_get(*, user, training_run_id: int) -> TrainingRun:
    return owned_get(training_run_list(user=user), user=user, pk=training_run_id)


def training_run_log(*, user, training_run_id: int) -> QuerySet[TrainingLogLine]:
    """The run's kept log lines, oldest first."""
    training_run = owned_get(TrainingRun, user=user, pk=training_run_id)
    return TrainingLogLine.objects.filter(training_run=training_run).order_by("id")
