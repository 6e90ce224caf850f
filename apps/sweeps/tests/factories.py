"""Builders for sweep tests: a tiny training sweep over a char model, and an external one."""

from apps.sweeps.services import sweep_create
from apps.training.tests.factories import tiny_config, valid_dataset_version

LR_SPACE = [{"name": "optim.lr", "type": "float", "low": 1e-3, "high": 3e-2, "log": True}]


def training_sweep(user, *, version=None, search_space=None, max_iters: int = 20, **fields):
    version = version or valid_dataset_version(user)
    fields = {"name": "tiny sweep", "max_trials": 4, "parallelism": 2, **fields}
    return sweep_create(user=user, dataset_version_id=version.pk, search_space=search_space or LR_SPACE,
                        base_config=tiny_config(max_iters=max_iters), **fields)


def external_sweep(user, **fields):
    fields = {"name": "script sweep", "max_trials": 4, "objective_metric": "loss", **fields}
    return sweep_create(user=user, kind="external", search_space=[
        {"name": "lr", "type": "float", "low": 1e-4, "high": 1e-1, "log": True},
        {"name": "layers", "type": "int", "low": 1, "high": 4},
    ], **fields)
