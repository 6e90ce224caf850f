"""Reads for sweeps, scoped to the requesting user."""

from django.db.models import Count, Q, QuerySet

from apps.core.selectors import owned_get, owned_queryset

from . import study as studies
from .models import Sweep, Trial


def sweep_list(*, user, experiment_id: int | None = None) -> QuerySet[Sweep]:
    sweeps = owned_queryset(Sweep, user=user).select_related("best_trial").annotate(
        trial_count=Count("trials"),
        running_count=Count("trials", filter=Q(trials__state=Trial.State.RUNNING)),
    ).order_by("-created_at", "-id")
    if experiment_id is not None:
        sweeps = sweeps.filter(experiment_id=experiment_id)
    return sweeps


def sweep_get(*, user, sweep_id: int) -> Sweep:
    return owned_get(sweep_list(user=user), user=user, pk=sweep_id)


def trial_list(*, user, sweep_id: int) -> QuerySet[Trial]:
    sweep = owned_get(Sweep, user=user, pk=sweep_id)
    return sweep.trials.select_related("training_run").order_by("number")


def sweep_importances(*, user, sweep_id: int) -> list[dict]:
    """Parameters by importance to the objective, most important first."""
    sweep = owned_get(Sweep, user=user, pk=sweep_id)
    if not sweep.trials.filter(state=Trial.State.COMPLETE).exists():
        return []
    importances = studies.param_importances(sweep)
    return [{"param": name, "importance": value} for name, value in importances.items()]
