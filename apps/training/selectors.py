"""Reads for training runs, scoped to the requesting user."""

from django.db.models import QuerySet

from apps.core.selectors import owned_queryset

from .models import TrainingRun


def training_run_list(*, user) -> QuerySet[TrainingRun]:
    return owned_queryset(TrainingRun, user=user).select_related("run", "run__experiment", "dataset_version")
