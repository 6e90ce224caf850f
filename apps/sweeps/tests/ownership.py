"""Ownership-matrix cases for the sweep routes."""

from apps.core.ownership import Case
from apps.experiments.models import Experiment
from apps.sweeps.models import Sweep, Trial


def _sweep(user):
    experiment = Experiment.objects.create(owner=user, name="owner-private-experiment")
    sweep = Sweep.objects.create(owner=user, name="owner-private-sweep", kind="external", experiment=experiment,
                                 search_space=[{"name": "lr", "type": "float", "low": 0.1, "high": 1.0}],
                                 study_name=f"ownership-{experiment.pk}")
    trial = Trial.objects.create(owner=user, sweep=sweep, number=0, optuna_trial_id=0, params={"lr": 0.5})
    return {"sweep_id": sweep.pk, "trial_id": trial.pk}, "owner-private-sweep"


def _sweep_only(user):
    kwargs, marker = _sweep(user)
    return {"sweep_id": kwargs["sweep_id"]}, marker


OWNED_ROUTES = {
    "api-v1:sweep-list": Case(setup=_sweep),
    "api-v1:sweep-detail": Case(setup=_sweep_only),
    "api-v1:sweep-pause": Case(setup=_sweep_only, methods={"post": None}),
    "api-v1:sweep-resume": Case(setup=_sweep_only, methods={"post": None}),
    "api-v1:sweep-cancel": Case(setup=_sweep_only, methods={"post": None}),
    "api-v1:sweep-importances": Case(setup=_sweep_only),
    "api-v1:sweep-trials": Case(setup=_sweep_only),
    "api-v1:sweep-trial-next": Case(setup=_sweep_only, methods={"post": None}),
    "api-v1:sweep-trial-report": Case(setup=_sweep, methods={"post": {"step": 1, "value": 1.0}}),
    "api-v1:sweep-trial-heartbeat": Case(setup=_sweep, methods={"post": None}),
    "api-v1:sweep-trial-finish": Case(setup=_sweep, methods={"post": {"objective": 1.0}}),
}
