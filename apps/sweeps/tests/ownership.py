"""Access-matrix cases for the sweep routes (apps/core/ownership.py). Sweeps are never
shared: team members who can see the sweep's experiment still get 404 for the sweep."""

from apps.core.ownership import Case
from apps.sweeps.services import sweep_pause, trial_next

from .factories import external_sweep

MARKER = "owner-private-sweep"


def _sweep(user):
    sweep = external_sweep(user, name=MARKER)
    trial, _ = trial_next(user=user, sweep_id=sweep.pk)
    return {"sweep_id": sweep.pk, "trial_id": trial.pk}, MARKER


def _sweep_only(user):
    kwargs, marker = _sweep(user)
    return {"sweep_id": kwargs["sweep_id"]}, marker


def _paused_sweep(user):
    kwargs, marker = _sweep_only(user)
    sweep_pause(user=user, sweep_id=kwargs["sweep_id"])
    return kwargs, marker


def _private(setup, methods=None):
    return Case(setup=setup, methods=methods or {"get": None}, reach="private")


OWNED_ROUTES = {
    "api-v1:sweep-list": _private(_sweep),
    "api-v1:sweep-detail": _private(_sweep_only),
    "api-v1:sweep-pause": _private(_sweep_only, {"post": None}),
    "api-v1:sweep-resume": _private(_paused_sweep, {"post": None}),
    "api-v1:sweep-cancel": _private(_sweep_only, {"post": None}),
    "api-v1:sweep-importances": _private(_sweep_only),
    "api-v1:sweep-trials": _private(_sweep_only),
    "api-v1:sweep-trial-next": _private(_sweep_only, {"post": None}),
    "api-v1:sweep-trial-report": _private(_sweep, {"post": {"step": 1, "value": 1.0}}),
    "api-v1:sweep-trial-heartbeat": _private(_sweep, {"post": None}),
    "api-v1:sweep-trial-finish": _private(_sweep, {"post": {"objective": 1.0}}),
}
