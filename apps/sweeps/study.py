"""The Optuna side of a sweep: its study lives in our PostgreSQL through Optuna's RDB storage
(its own tables beside Django's, created once by this app's migration), reached with a URL
built from Django's default database, so tests' database and production's each hold their
studies. Connections are not pooled: a study is touched a few times per trial, and a kept
connection would hold the test database open past its teardown."""

from __future__ import annotations

import functools
import os

import optuna
from django.db import connections
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from . import space as search_space
from .models import Sweep

optuna.logging.set_verbosity(optuna.logging.WARNING)


def storage_url(settings_dict: dict) -> str:
    """SQLAlchemy's URL (psycopg 3) for a Django PostgreSQL database's settings."""
    options = settings_dict.get("OPTIONS") or {}
    # dj_database_url keeps a Unix-socket directory in OPTIONS["host"], not in HOST.
    host = settings_dict.get("HOST") or options.get("host") or None
    query = {}
    if host and host.startswith("/"):
        query["host"], host = host, None
    url = URL.create(
        "postgresql+psycopg", username=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None, host=host,
        port=int(settings_dict["PORT"]) if settings_dict.get("PORT") else None,
        database=settings_dict["NAME"], query=query,
    )
    return url.render_as_string(hide_password=False)


def tables_create(settings_dict: dict) -> None:
    """Creates Optuna's tables (and its schema version) in the database, once."""
    optuna.storages.RDBStorage(storage_url(settings_dict), engine_kwargs={"poolclass": NullPool})


@functools.cache
def _storage(url: str, pid: int) -> optuna.storages.RDBStorage:
    return optuna.storages.RDBStorage(url, engine_kwargs={"poolclass": NullPool}, skip_table_creation=True,
                                      skip_compatibility_check=True)


def storage() -> optuna.storages.RDBStorage:
    # Per process: an engine must not cross a worker's fork.
    return _storage(storage_url(connections["default"].settings_dict), os.getpid())


class _GridSampler(optuna.samplers.GridSampler):
    """Optuna's grid sampler stops the study once every point is drawn, which only
    study.optimize allows (under ask-and-tell it raises); a grid sweep's budget is capped at
    the grid's size instead (services.sweep_create)."""

    def after_trial(self, study, trial, state, values) -> None:
        pass


def _sampler(sweep: Sweep) -> optuna.samplers.BaseSampler:
    if sweep.sampler == Sweep.Sampler.GRID:
        # The grid's order comes from the seed, and trials name points by their place in it.
        return _GridSampler(search_space.grid_of(sweep.search_space), seed=sweep.seed)
    # The sampler is built afresh for each ask: a fixed seed would draw the same values
    # again, so it moves on with each trial the sweep holds (still repeatable).
    seed = None if sweep.seed is None else sweep.seed + sweep.trials.count()
    if sweep.sampler == Sweep.Sampler.RANDOM:
        return optuna.samplers.RandomSampler(seed=seed)
    if sweep.sampler == Sweep.Sampler.CMAES:
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    # Few trials in flight at once read as running, not as finished, to TPE.
    return optuna.samplers.TPESampler(seed=seed, constant_liar=sweep.parallelism > 1,
                                      n_startup_trials=min(10, max(2, sweep.max_trials // 4)))


def max_resource(sweep: Sweep) -> int | str:
    """The steps a training trial runs (Hyperband's budget); "auto" for an external one."""
    return int(sweep.base_config.get("train", {}).get("max_iters", 0)) or "auto"


def _pruner(sweep: Sweep) -> optuna.pruners.BasePruner:
    if sweep.pruner == Sweep.Pruner.MEDIAN:
        return optuna.pruners.MedianPruner(n_startup_trials=sweep.pruner_startup_trials)
    if sweep.pruner == Sweep.Pruner.HYPERBAND:
        return optuna.pruners.HyperbandPruner(max_resource=max_resource(sweep))
    return optuna.pruners.NopPruner()


def study_create(sweep: Sweep) -> optuna.Study:
    return optuna.create_study(study_name=sweep.study_name, storage=storage(), direction=sweep.direction,
                               sampler=_sampler(sweep), pruner=_pruner(sweep), load_if_exists=True)


def study_load(sweep: Sweep) -> optuna.Study:
    return optuna.load_study(study_name=sweep.study_name, storage=storage(), sampler=_sampler(sweep),
                             pruner=_pruner(sweep))


def param_importances(sweep: Sweep) -> dict[str, float]:
    """Each parameter's share of the objective's variance over complete trials (Optuna's
    default evaluator); empty until two trials differ enough to tell."""
    from optuna.importance import get_param_importances

    study = study_load(sweep)
    try:
        return get_param_importances(study)
    except (RuntimeError, ValueError, ZeroDivisionError):
        return {}
