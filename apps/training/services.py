"""Writes for training runs: create (tracked run + job, waiting for the dispatcher), cancel,
resume, and the execution a worker performs, guarded by a lease so a run never executes
twice at once and a redelivered task continues from the last checkpoint; the execution
measures the compute it uses and stops once the monthly compute of an account it is charged
to is spent. Its owner's access to what it trains on and in is checked when it is queued,
resumed and each time an execution starts; one user has at most
SLOUGHGPT_WAITING_RUNS_PER_USER runs waiting. A run may validate on a dataset version of
its own, and order (a curriculum) or weight its records by a feature materialized for its
training version (apps.training.feature_scores). A run may train in several processes on
several nodes: node 0's execution runs torchrun (apps.training.launch), each other node's
worker joins it, and rank 0 reports as an in-process execution does."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q, Subquery
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied

from apps.core import file_cache
from apps.core import storage as core_storage
from apps.core.access import Action, access_get, access_queryset
from apps.core.files import remove_tree
from apps.core.leases import heartbeat, lease_take
from apps.core.notifications import notify_user
from apps.core.user_paths import error_text, hide_server_paths
from apps.datasets.models import DatasetVersion
from apps.datasets.services import dataset_version_files
from apps.experiments.models import Experiment
from apps.experiments.realtime import publish_run_event
from apps.experiments.services import (
    artifact_record,
    experiment_named,
    run_create,
    run_metrics_record,
    run_status_record,
)
from apps.monitoring.metrics_training import TrainingMetrics
from apps.quotas.accounts import account_of
from apps.quotas.errors import QuotaExceeded
from apps.quotas.storage import storage_check_room, storage_counting
from apps.registry import storage as registry_storage
from apps.registry.models import ModelVersion

from . import checkpoint_store, feature_scores, fine_tune, launch
from .compute import (
    ComputeMeter,
    charged_accounts,
    compute_quota_check,
    compute_record,
    compute_spent_message,
    cuda_devices_used,
)
from .dispatch import dispatch_after_commit
from .models import TrainingLogLine, TrainingRun
from .storage import training_run_dir

logger = logging.getLogger(__name__)

# The engine's callbacks beat the lease (apps.core.leases) this often.
HEARTBEAT_EVERY_S = 5.0
# A run's log keeps its last lines (enough to read a long run's end), each cut to a length
# that a runaway message cannot blow up.
LOG_LINES_KEPT = 1000
LOG_LINE_MAX_CHARS = 2000
# The engine options a client may set, per section of the engine's TrainConfig; any other
# (data and output paths, caches, the device, resuming, the base model's file, and any option
# the engine gains later) is refused by name, and a stored run that carries one is refused
# before it trains. A client never names a file: a base model and a tokenizer other than the
# two built from the data come from the user's model versions, by id.
USER_OPTIONS = {
    "model": frozenset({"preset", "n_layer", "n_head", "n_embd", "block_size", "dropout",
                        "gradient_checkpointing"}),
    "data": frozenset({"val_fraction", "tokenizer", "bpe_vocab_size", "text_column",
                       "prompt_column", "response_column", "messages_column", "chosen_column",
                       "rejected_column", "packing"}),
    "optim": frozenset({"lr", "min_lr", "weight_decay", "beta1", "beta2", "grad_clip", "schedule",
                        "warmup_iters", "decay_iters", "cycle_iters", "power"}),
    "train": frozenset({"max_iters", "batch_size", "grad_accum", "eval_interval", "eval_iters",
                        "log_interval", "early_stopping_patience", "precision", "seed", "compile",
                        "distributed"}),
    "lora": frozenset({"r", "alpha", "dropout", "target_modules", "base_type"}),
    "dpo": frozenset({"beta"}),
}
# Sections that only a fine-tune (a run with base_model_version_id) can use, with the reason
# a run from scratch is told.
BASE_SECTIONS = {
    "lora": "LoRA adapts a base model: give base_model_version_id and method lora or qlora",
    "dpo": "DPO tunes a base model on preference pairs: give base_model_version_id and method dpo",
}
# config.data.tokenizer: built from the data, or (MODEL_VERSION_TOKENIZER) the tokenizer of
# the model version `tokenizer_model_version_id` names, which the server fills in as a file.
DATA_TOKENIZERS = ("char", "bpe")
MODEL_VERSION_TOKENIZER = "model_version"
Status = TrainingRun.Status
# A user at their cap of waiting runs is told to try again after this long (the line moves as
# slots free; a run takes minutes).
WAITING_RETRY_AFTER_S = 60
# Other apps' observers of executing runs (apps.sweeps prunes its trials with one): each is
# called with a run as it starts and returns None, or a callable given each metrics batch
# (step, values) that returns True to stop the run, as a cancel would.
RUN_OBSERVERS: list = []


def _cancel_key(training_run_id: int) -> str:
    return f"training:cancel:{training_run_id}"


def _user_options_check(config: dict, *, fine_tune: bool) -> None:
    """Refuses, by dotted name, any section or option that is not on the allow-list."""
    if not isinstance(config, dict):
        raise ValidationError({"config": [f"expected an object of sections ({', '.join(USER_OPTIONS)})"]})
    for section, options in config.items():
        if section in BASE_SECTIONS and not fine_tune:
            raise ValidationError({f"config.{section}": [BASE_SECTIONS[section]]})
        if section not in USER_OPTIONS:
            known = ", ".join(USER_OPTIONS)
            raise ValidationError({"config": [f"unknown config key {section!r} (known: {known})"]})
        if not isinstance(options, dict):
            raise ValidationError({f"config.{section}": ["expected an object of options"]})
        for key in options:
            if key not in USER_OPTIONS[section]:
                allowed = ", ".join(sorted(USER_OPTIONS[section]))
                raise ValidationError({f"config.{section}.{key}": [
                    f"not an option you can set; {section} takes {allowed}"
                ]})


def _stored_options_check(config: dict, *, method: str) -> None:
    """Refuses, by dotted name, a stored run's option that a client could not set now (a run
    stored before options were allow-listed): the engine's full config is stored, so an
    option off the allow-list must hold the engine's default or the value the server sets
    for the run's method, and the tokenizer must be one a run may use. Nothing the config
    names is opened (a fine-tune's base file is filled in at execution, never stored)."""
    from ml.train.config import TrainConfig

    defaults = TrainConfig().to_dict()
    server_set = fine_tune.server_set(method)
    unset = object()
    for section, options in config.items():
        for key, value in (options.items() if isinstance(options, dict) else [(None, options)]):
            if key in USER_OPTIONS.get(section, ()) and (section, key) not in server_set:
                continue
            if value in server_set.get((section, key), (defaults.get(section, {}).get(key, unset),)):
                continue
            field = f"config.{section}.{key}" if key is not None else f"config.{section}"
            raise ValidationError({field: [
                "not an option you can set; this run was stored with it, so start a new run instead"
            ]})
    tokenizer = config.get("data", {}).get("tokenizer", "char")
    if method == TrainingRun.Method.SCRATCH and tokenizer not in (*DATA_TOKENIZERS, MODEL_VERSION_TOKENIZER):
        raise ValidationError({"config.data.tokenizer": [
            f"is not {', '.join(DATA_TOKENIZERS)} or a model version's; this run was stored with "
            "another, so start a new run instead"
        ]})


def _tokenizer_choice(data: dict, *, from_model_version: bool) -> str:
    tokenizer = data.get("tokenizer", MODEL_VERSION_TOKENIZER if from_model_version else "char")
    if tokenizer not in (*DATA_TOKENIZERS, MODEL_VERSION_TOKENIZER):
        raise ValidationError({"config.data.tokenizer": [
            f"one of {', '.join(DATA_TOKENIZERS)} or {MODEL_VERSION_TOKENIZER} (with "
            "tokenizer_model_version_id); another tokenizer is named by its model version, not a file"
        ]})
    if from_model_version and tokenizer != MODEL_VERSION_TOKENIZER:
        raise ValidationError({"config.data.tokenizer": [
            f"is {MODEL_VERSION_TOKENIZER} when tokenizer_model_version_id names the tokenizer"
        ]})
    if tokenizer == MODEL_VERSION_TOKENIZER and not from_model_version:
        raise ValidationError({"tokenizer_model_version_id": [
            f"name the model version whose tokenizer to use (config.data.tokenizer is {tokenizer})"
        ]})
    return tokenizer


def training_config_clean(config: dict, *, tokenizer_from_model_version: bool = False,
                          method: str = TrainingRun.Method.SCRATCH, base: ModelVersion | None = None) -> dict:
    """Checks a client's engine options against the allow-list, then by building the
    engine's TrainConfig from them; a fine-tune's (`base` given) get what its method turns
    on, and LoRA targets are checked against the base's architecture."""
    from ml.config import ConfigError
    from ml.models import PRESETS
    from ml.train.config import TrainConfig

    _user_options_check(config, fine_tune=base is not None)
    if base is not None:
        config = fine_tune.method_config(config, method=method)
    else:
        data = config.get("data", {})
        tokenizer = _tokenizer_choice(data, from_model_version=tokenizer_from_model_version)
        config = {**config, "data": {**data, "tokenizer": tokenizer}}
    try:
        parsed = TrainConfig.from_dict(config)
    except ConfigError as exc:
        raise ValidationError({"config": [str(exc)]}) from None
    if parsed.model.preset not in PRESETS:
        raise ValidationError(
            {"config.model.preset": [f"unknown preset {parsed.model.preset!r}; known: {', '.join(sorted(PRESETS))}"]}
        )
    if parsed.train.max_iters < 1:
        raise ValidationError({"config.train.max_iters": ["must be at least 1"]})
    if base is not None and parsed.lora.enabled:
        fine_tune.lora_targets_check(parsed.lora.target_modules, base=base)
    return parsed.to_dict()


def _run_dir(training_run: TrainingRun) -> Path:
    return training_run_dir(training_run)


@transaction.atomic
def training_run_create(
    *,
    user,
    dataset_version_id: int,
    config: dict,
    tokenizer_model_version_id: int | None = None,
    base_model_version_id: int | None = None,
    method: str | None = None,
    experiment_id: int | None = None,
    experiment_name: str = "",
    name: str = "",
    val_dataset_version_id: int | None = None,
    curriculum: dict | None = None,
    weight_by: dict | None = None,
    nproc_per_node: int = 1,
    nnodes: int = 1,
) -> TrainingRun:
    _processes_check(nproc_per_node=nproc_per_node, nnodes=nnodes)
    # Inputs need read access (a dataset or model shared with the user's team will do); the
    # experiment the run is filed in needs run access: the run costs compute there.
    version = access_get(DatasetVersion, user=user, pk=dataset_version_id)
    val_version = None
    if val_dataset_version_id is not None:
        val_version = access_get(DatasetVersion, user=user, pk=val_dataset_version_id)
    base = None
    if base_model_version_id is not None:
        base = fine_tune.base_version_get(user=user, base_model_version_id=base_model_version_id)
    for field, checked in (("dataset_version_id", version), ("val_dataset_version_id", val_version)):
        if checked is not None and checked.status != DatasetVersion.Status.VALID:
            raise ValidationError({field: [f"dataset version is {checked.status}, not valid"]})
    if curriculum:
        feature_scores.feature_choice_check(version, field="curriculum.feature", feature=curriculum["feature"])
    if weight_by:
        feature_scores.feature_choice_check(version, field="weight_by.feature", feature=weight_by["feature"],
                                            weights=True)
    method = fine_tune.method_for(method=method, has_base=base is not None)
    tokenizer_version = None
    if tokenizer_model_version_id is not None:
        if base is not None:
            raise ValidationError({"tokenizer_model_version_id": ["a fine-tune trains with its base model's tokenizer"]})
        tokenizer_version = access_get(ModelVersion, user=user, pk=tokenizer_model_version_id)
        if tokenizer_version.status != ModelVersion.Status.READY:
            raise ValidationError({"tokenizer_model_version_id": [
                f"model version {tokenizer_version} is {tokenizer_version.status}, not ready"
            ]})
    clean = training_config_clean(config, tokenizer_from_model_version=tokenizer_version is not None,
                                  method=method, base=base)
    _dataset_columns_default(clean, given=config.get("data"), version=version)
    if val_version is not None:
        _val_columns_check(clean, given=config.get("data"), version=val_version)
    if base is not None:
        fine_tune.dataset_fit_check(version, method=method)
        if val_version is not None:
            fine_tune.dataset_fit_check(val_version, method=method, field="val_dataset_version_id")
    if experiment_id is not None:
        experiment = access_get(Experiment, user=user, pk=experiment_id, action=Action.RUN)
    else:
        experiment_name = (experiment_name or version.dataset.name).strip()
        experiment = experiment_named(user=user, name=experiment_name)
    compute_quota_check(*charged_accounts(account_of(experiment), user.pk))
    _waiting_room_check(user)
    storage_check_room(account_of(experiment))  # checkpoints would not fit
    flat_params = {
        f"{section}.{key}": value
        for section, values in clean.items()
        for key, value in values.items()
        if isinstance(value, (int, float, str, bool)) and key in USER_OPTIONS.get(section, ())
    }
    flat_params["dataset_version"] = version.pk
    if val_version is not None:
        flat_params["val_dataset_version"] = val_version.pk
    if curriculum:
        flat_params["curriculum"] = f"{curriculum['feature']} {curriculum.get('order') or 'asc'}"
    if weight_by:
        flat_params["weight_by"] = weight_by["feature"]
    if tokenizer_version is not None:
        flat_params["tokenizer_model_version"] = tokenizer_version.pk
    if base is not None:
        flat_params.update(method=method, base_model_version=base.pk)
    if nproc_per_node * nnodes > 1:
        flat_params.update(nproc_per_node=nproc_per_node, nnodes=nnodes)
    default_name = f"{method} of {base} on {version}" if base is not None else f"{clean['model']['preset']} on {version}"
    run = run_create(
        user=user, experiment_id=experiment.pk, name=name or default_name,
        params=flat_params, tags={"kind": "training"}, status="queued",
    )
    training_run = TrainingRun.objects.create(
        owner=user, run=run, dataset_version=version, config=clean,
        max_steps=clean["train"]["max_iters"], tokenizer_model_version=tokenizer_version,
        base_model_version=base, method=method, val_dataset_version=val_version,
        curriculum_feature=curriculum["feature"] if curriculum else "",
        curriculum_order=(curriculum.get("order") or "asc") if curriculum else "",
        weight_feature=weight_by["feature"] if weight_by else "",
        nproc_per_node=nproc_per_node, nnodes=nnodes,
    )
    dispatch_after_commit()
    return training_run


def _processes_check(*, nproc_per_node: int, nnodes: int) -> None:
    """Processes per node and nodes: at least 1, at most what this server allows (whether a
    worker has the GPUs or cores is known only where it runs: apps.training.launch)."""
    for field, value, cap in (("nproc_per_node", nproc_per_node, settings.SLOUGHGPT_MAX_PROCS_PER_NODE),
                              ("nnodes", nnodes, settings.SLOUGHGPT_MAX_NODES)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= cap:
            raise ValidationError({field: [f"must be a whole number from 1 to {cap}, the most this server allows"]})


def _waiting_room_check(user) -> None:
    """Refuses (429) a run that would take the user past SLOUGHGPT_WAITING_RUNS_PER_USER runs
    waiting for a slot. The user's row is locked first, so two runs queued at once cannot
    both take the last place."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    limit = settings.SLOUGHGPT_WAITING_RUNS_PER_USER
    waiting = TrainingRun.objects.filter(owner=user, status=Status.QUEUED).count()
    if waiting >= limit:
        raise QuotaExceeded(
            f"You already have {waiting} training runs waiting for a slot, the most one person may queue; "
            "wait for some to start, or cancel some, before queueing more.",
            WAITING_RETRY_AFTER_S, timezone.now() + timedelta(seconds=WAITING_RETRY_AFTER_S),
            limit="waiting_runs_per_user")


def _inputs_check(training_run: TrainingRun, user) -> str | None:
    """Why `user` may no longer train this run, or None: they must still read its dataset
    version, base model and tokenizer model (where the run still names them) and still be
    allowed to run training in its experiment. Access is checked when a run is queued and
    again whenever it is resumed or an execution starts, so a share taken back in between
    stops the run before it reads anything."""
    inputs = [("dataset version", DatasetVersion, training_run.dataset_version_id, Action.READ),
              ("validation dataset version", DatasetVersion, training_run.val_dataset_version_id, Action.READ),
              ("base model version", ModelVersion, training_run.base_model_version_id, Action.READ),
              ("tokenizer model version", ModelVersion, training_run.tokenizer_model_version_id, Action.READ),
              ("experiment", Experiment, training_run.run.experiment_id, Action.RUN)]
    for label, model, pk, action in inputs:
        if pk is not None and not access_queryset(model, user=user, action=action).filter(pk=pk).exists():
            doing = "run training in" if action is Action.RUN else "read"
            return f"{user.email} may no longer {doing} the {label} of this run ({label} {pk})"
    return None


DATASET_COLUMNS = ("text_column", "prompt_column", "response_column")


def _dataset_columns_default(clean: dict, *, given, version: DatasetVersion) -> None:
    """The columns the dataset version was uploaded and validated with, where the client's
    config names none: the engine's own defaults ("text", ...) would read other fields."""
    given = given if isinstance(given, dict) else {}
    for column in DATASET_COLUMNS:
        if column not in given:
            clean["data"][column] = getattr(version, column)


def _val_columns_check(clean: dict, *, given, version: DatasetVersion) -> None:
    """The validation version is read with the training version's columns: where the client
    names none, its own must be the same."""
    given = given if isinstance(given, dict) else {}
    for column in DATASET_COLUMNS:
        if column not in given and getattr(version, column) != clean["data"][column]:
            raise ValidationError({"val_dataset_version_id": [
                f"its {column.replace('_', ' ')} is {getattr(version, column)!r}, the training version's "
                f"{clean['data'][column]!r}; name it in config.data.{column} or pick a version with the same"
            ]})


@transaction.atomic
def training_run_cancel(*, user, training_run_id: int) -> TrainingRun:
    training_run = access_get(TrainingRun.objects.select_for_update(), user=user, pk=training_run_id,
                              action=Action.RUN)
    if training_run.status in (Status.FINISHED, Status.FAILED, Status.CANCELLED):
        raise ValidationError({"status": [f"the run is already {training_run.status}"]})
    training_run.cancel_requested = True
    if training_run.status == Status.QUEUED:
        _set_status(training_run, Status.CANCELLED)
        # The slot it may have been handed goes to the next run (a running one frees its
        # own when its execution ends).
        dispatch_after_commit()
    training_run.save()
    # The executing worker polls this every step.
    transaction.on_commit(lambda: cache.set(_cancel_key(training_run.pk), True, timeout=7 * 86400))
    return training_run


@transaction.atomic
def training_run_resume(*, user, training_run_id: int, extra_steps: int | None = None) -> TrainingRun:
    """Queues a stopped run again; it continues from its last checkpoint."""
    training_run = access_get(TrainingRun.objects.select_for_update(), user=user, pk=training_run_id,
                              action=Action.RUN)
    if training_run.status in (Status.QUEUED, Status.RUNNING):
        raise ValidationError({"status": [f"the run is already {training_run.status}"]})
    _stored_options_check(training_run.config, method=training_run.method)
    if refused := _inputs_check(training_run, training_run.owner):
        raise PermissionDenied(refused + "; it cannot be resumed.")
    compute_quota_check(*charged_accounts(account_of(training_run), training_run.owner_id))
    _waiting_room_check(training_run.owner)
    if extra_steps:
        training_run.max_steps += extra_steps
        training_run.config["train"]["max_iters"] = training_run.max_steps
    training_run.cancel_requested = False
    training_run.error = ""
    # It joins the end of the line again, waiting to be handed over anew: a task an earlier
    # hand-over sent no longer executes it.
    training_run.queued_at = timezone.now()
    training_run.dispatch_id = ""
    _set_status(training_run, Status.QUEUED)
    training_run.save()
    # Cleared at once: a stale flag would stop the resumed execution at its first step.
    cache.delete(_cancel_key(training_run.pk))
    dispatch_after_commit()
    return training_run


def _set_status(training_run: TrainingRun, status: str) -> None:
    training_run.status = status
    run_status_record(run_id=training_run.run_id, status=status)
    notify_user(
        user_id=training_run.owner_id,
        event={"type": "training_run.status", "id": training_run.pk, "status": status},
    )


class _Reporter:
    """The training engine's callbacks: metrics into the tracked run and out to the live
    page, progress, heartbeat and compute used on the row, and the cancel flag (raised too
    once the account's monthly compute is spent)."""

    def __init__(self, training_run: TrainingRun, execution_id: str, processes: int = 1, config=None):
        self.training_run = training_run
        self.execution_id = execution_id
        # Built once: the engine logs many lines, each shown with these paths hidden.
        self.names = _names_for_owner(training_run, config)
        self.started = time.monotonic()
        self.first_step: int | None = None
        self.last_beat = 0.0
        self.observers = [observe for make in RUN_OBSERVERS if (observe := make(training_run))]
        # Charged as the execution found them: moving the experiment later moves no compute.
        self.accounts = charged_accounts(account_of(training_run), training_run.owner_id)
        self.meter = ComputeMeter(gpus=cuda_devices_used(), processes=processes)
        # Why the run stops early on its account's compute quota; empty while within it.
        self.quota_error = ""
        # Another execution took the run over (this one's beats stopped for longer than the
        # lease lasts): this one stops, and what is stored is the other's to write.
        self.lease_lost = False
        self.metrics = TrainingMetrics()  # the workers' Prometheus metrics

    def compute_record(self) -> None:
        """Counts the compute used since the last record, so a long run counts as it goes."""
        cpu, gpu = self.meter.take()
        compute_record(training_run_id=self.training_run.pk, account=self.accounts[0],
                       user_id=self.training_run.owner_id, cpu_seconds=cpu, gpu_seconds=gpu)

    def on_metrics(self, step: int, values: dict[str, float]) -> None:
        self.metrics.on_metrics(step, values)
        points = [{"key": key, "value": float(value), "step": step} for key, value in values.items()]
        # Unchecked: a creator made a viewer mid-run does not stop the run's metrics.
        run_metrics_record(run_id=self.training_run.run_id, metrics=points)
        if self.first_step is None:
            self.first_step = step
        done = step - self.first_step
        elapsed = time.monotonic() - self.started
        eta = (self.training_run.max_steps - step) * elapsed / done if done > 0 else None
        # Kept on the instance too, so the row saved at the end of the execution keeps them.
        self.training_run.step = step
        fields = {"step": step, "eta_seconds": eta, "heartbeat_at": timezone.now()}
        if "tokens_per_s" in values:
            fields["tokens_per_s"] = self.training_run.tokens_per_s = float(values["tokens_per_s"])
        if "val_loss" in values:
            best = self.training_run.best_val_loss
            if best is None or values["val_loss"] < best:
                fields["best_val_loss"] = self.training_run.best_val_loss = float(values["val_loss"])
        TrainingRun.objects.filter(pk=self.training_run.pk, lease_owner=self.execution_id).update(**fields)
        publish_run_event(
            run_id=self.training_run.run_id,
            event={"type": "run.progress", "run": self.training_run.run_id, "step": step,
                   "max_steps": self.training_run.max_steps, "eta_seconds": eta,
                   "tokens_per_s": self.training_run.tokens_per_s,
                   "best_val_loss": self.training_run.best_val_loss},
        )
        if any(observe(step, values) for observe in self.observers):
            cache.set(_cancel_key(self.training_run.pk), True, timeout=7 * 86400)

    def on_log(self, line: str) -> None:
        training_run_log_append(training_run=self.training_run, line=line, known=self.names)

    def should_stop(self) -> bool:
        now = time.monotonic()
        if now - self.last_beat > HEARTBEAT_EVERY_S:
            self.last_beat = now
            beaten = TrainingRun.objects.filter(pk=self.training_run.pk, lease_owner=self.execution_id).update(
                heartbeat_at=timezone.now()
            )
            self.lease_lost = self.lease_lost or not beaten
            self.compute_record()
            self.quota_error = compute_spent_message(*self.accounts) or ""
        return self.lease_lost or bool(self.quota_error) or bool(cache.get(_cancel_key(self.training_run.pk)))

    def checkpoint_storer(self, uploader: checkpoint_store.CheckpointUploader | None):
        """The engine's on_checkpoint: the uploader's, skipped once the lease is lost (the
        checkpoint the engine saves as it stops must not replace the live execution's)."""
        if uploader is None:
            return None

        def saved(name: str, directory: Path, step: int) -> None:
            if not self.lease_lost:
                uploader.saved(name, directory, step)

        return saved


def _lease_beating(training_run: TrainingRun, execution_id: str):
    """The execution's lease beaten while it waits on something that calls back nothing (the
    bucket storing its checkpoints or its folder), so it never looks dead meanwhile."""
    return heartbeat(TrainingRun, training_run.pk, execution_id, every_s=HEARTBEAT_EVERY_S)


def _lease_held(training_run: TrainingRun, execution_id: str) -> bool:
    return TrainingRun.objects.filter(pk=training_run.pk, lease_owner=execution_id).exists()


def training_run_log_append(*, training_run: TrainingRun, line: str,
                            known: dict[str, str] | None = None) -> TrainingLogLine:
    """Keeps `line` in the run's log (its oldest lines beyond LOG_LINES_KEPT go) and sends
    it to the live page with its id, so a page that loaded the stored log skips repeats.
    `known`: the paths shown by another name (_names_for_owner), by default the run's folder."""
    known = known if known is not None else _names_for_owner(training_run)
    line = hide_server_paths(line, known=known)[:LOG_LINE_MAX_CHARS]
    entry = TrainingLogLine.objects.create(training_run=training_run, line=line)
    cutoff = Subquery(
        TrainingLogLine.objects.filter(training_run=training_run)
        .order_by("-id").values("id")[LOG_LINES_KEPT:LOG_LINES_KEPT + 1]
    )
    TrainingLogLine.objects.filter(training_run=training_run, id__lte=cutoff).delete()
    publish_run_event(
        run_id=training_run.run_id,
        event={"type": "run.log", "run": training_run.run_id, "id": entry.pk, "line": entry.line},
    )
    return entry


def _names_for_owner(training_run: TrainingRun, config=None) -> dict[str, str]:
    """The run's folder and, given an execution's engine config, the data it reads, as the
    owner knows them ("last/...", their file's name) rather than where they lie on the
    server; any other path (the token cache, a library's own files) is cut to its last part
    by hide_server_paths. The data's paths are taken from the config, where the execution
    fetched it to: naming them fetches (and checks) nothing again."""
    names = {}
    if config is not None:
        for path, version in ((config.data.path, training_run.dataset_version),
                              (config.data.val_path, training_run.val_dataset_version)):
            if path and version is not None:
                names[path] = version.filename
    return {**names, f"{_run_dir(training_run)}/": ""}


def _tokenizer_option(training_run: TrainingRun, tokenizer: str, out_dir: Path) -> str:
    """The engine's data.tokenizer: as chosen, or for a model version's tokenizer the file
    it is copied to in the run's folder, once, so a resumed run keeps the same tokenizer
    even if the version is deleted meanwhile (_stored_options_check allowed no other value)."""
    from ml.sou import read_sou

    if tokenizer in (*DATA_TOKENIZERS, fine_tune.BASE_TOKENIZER):
        return tokenizer
    copy = out_dir / "tokenizer-source.json"
    if not copy.is_file():
        version = training_run.tokenizer_model_version
        # The access check repeats the one at creation: the run's owner must still read it.
        if version is None or not access_queryset(ModelVersion, user=training_run.owner).filter(pk=version.pk).exists():
            raise ValueError("the model version whose tokenizer this run uses was deleted")
        with read_sou(registry_storage.canonical_fetched(version)) as sou:
            tokenizer_json = sou.tokenizer_json
        if not tokenizer_json:
            raise ValueError(f"model version {version} has no tokenizer")
        copy.write_text(tokenizer_json, encoding="utf-8")
    return str(copy)


def _feature_scores_option(training_run: TrainingRun, config, out_dir: Path) -> None:
    """The engine's data.order_by / weight_by: the run's features of its training version,
    written to its folder once, so a resumed run keeps the order it started with."""
    chosen = (("order_by", training_run.curriculum_feature, "curriculum-scores.npz"),
              ("weight_by", training_run.weight_feature, "weight-scores.npz"))
    for option, feature, filename in chosen:
        if not feature:
            continue
        path = out_dir / filename
        if not path.is_file():
            feature_scores.scores_write(training_run.dataset_version, feature=feature, out_path=path)
        setattr(config.data, option, str(path))
    config.data.order = training_run.curriculum_order or "asc"


def training_run_execute(*, training_run_id: int, execution_id: str, dispatch_id: str | None = None) -> str:
    """Runs (or continues) training. Idempotent: a finished run, or one another live
    execution holds, or (given `dispatch_id`, the task id it was sent with) one the
    dispatcher has since handed over again or put back in line, is left alone. Returns the
    run's status afterwards."""
    handed_over = Q(dispatch_id=dispatch_id) if dispatch_id is not None else None
    if not lease_take(TrainingRun, training_run_id, execution_id, statuses=[Status.QUEUED, Status.RUNNING],
                      where=handed_over):
        return TrainingRun.objects.get(pk=training_run_id).status
    training_run = TrainingRun.objects.select_related(
        "owner", "run", "dataset_version", "val_dataset_version", "base_model_version").get(pk=training_run_id)
    try:
        _stored_options_check(training_run.config, method=training_run.method)
    except ValidationError as exc:
        # A run queued before options were allow-listed: it fails, naming the option, before
        # anything its config names is touched.
        field, (message, *_) = next(iter(exc.message_dict.items()))
        return _finish(training_run, Status.FAILED, error=f"{field}: {message}")
    # Queued before its owner lost access to what it trains on or in: it does not start.
    if refused := _inputs_check(training_run, training_run.owner):
        return _finish(training_run, Status.FAILED, error=refused)
    # Queued before the month's compute of an account it is charged to was spent: it does not start.
    if quota_error := compute_spent_message(*charged_accounts(account_of(training_run), training_run.owner_id)):
        return _finish(training_run, Status.FAILED, error=quota_error)
    out_dir = _run_dir(training_run)
    # The data, on this machine for as long as the execution trains on it (_engine_config).
    data = ExitStack()
    try:
        if training_run.attempts == 0:
            # A first execution starts clean: nothing left at this path may be resumed from.
            remove_tree(out_dir)
        else:
            _run_dir_fetch(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        config = data.enter_context(_engine_config(training_run, out_dir))
    except Exception as exc:
        # Its folder or data could not be fetched (a copy that failed its checksum again
        # when fetched once more, the bucket unreachable): it fails saying why, rather than
        # staying queued to be taken and fail alike again.
        logger.exception("training run %s could not fetch its files", training_run_id)
        return _finish(training_run, Status.FAILED, error=error_text(exc, known=_names_for_owner(training_run)))
    with data:
        return _execute(training_run, config, out_dir, execution_id)


def _execute(training_run: TrainingRun, config, out_dir: Path, execution_id: str) -> str:
    """The execution, its data on this machine and its folder fetched: trains, stores what it
    trained, and finishes the run. Its status afterwards."""
    from ml.train import Callbacks, train

    training_run_id = training_run.pk
    with transaction.atomic():
        training_run.attempts += 1
        training_run.save(update_fields=["attempts"])
        _set_status(training_run, Status.RUNNING)
        training_run.save(update_fields=["status"])
    processes = training_run.nproc_per_node * training_run.nnodes
    # A multi-process execution's compute is counted by its rank 0, not by the waiting worker.
    reporter = _Reporter(training_run, execution_id, processes=1 if processes == 1 else 0, config=config)
    if config.train.resume:
        reporter.on_log(f"resuming from the last checkpoint (attempt {training_run.attempts})")
    quota_error = ""
    try:
        _engine_inputs(training_run, config, out_dir)
        # Checkpoints count against the run's account once stored (apps.quotas.storage); the
        # uploader charges those it stores as the engine saves them (apps.training.checkpoint_store).
        with storage_counting(account_of(training_run), out_dir, besides=checkpoint_store.stored_bytes), \
                reporter.metrics.running():
            try:
                if processes == 1:
                    uploader = checkpoint_store.uploader(out_dir, lambda: _lease_beating(training_run, execution_id),
                                                         account_of(training_run))
                    try:
                        result = train(config, Callbacks(
                            on_metrics=reporter.on_metrics, on_log=reporter.on_log, should_stop=reporter.should_stop,
                            on_checkpoint=reporter.checkpoint_storer(uploader),
                        ))
                    finally:
                        if uploader is not None:
                            uploader.close()
                else:
                    result, quota_error = _execute_processes(training_run, config, out_dir, execution_id)
            finally:
                # On S3: the folder goes to the bucket, where registering and a resume on
                # another worker find it; the checkpoints stored as they were saved are in it.
                # Not by an execution another has taken over: it would store its older folder
                # over the other's and delete the checkpoints the other stored.
                with _lease_beating(training_run, execution_id):
                    if _lease_held(training_run, execution_id):
                        core_storage.publish_tree(out_dir)
                        checkpoint_store.retire(out_dir, account_of(training_run))
        quota_error = quota_error or reporter.quota_error
    except Exception as exc:
        logger.exception("training run %s failed", training_run_id)
        reporter.compute_record()
        if not _lease_held(training_run, execution_id):
            return _taken_over(training_run)
        return _finish(training_run, Status.FAILED, error=error_text(exc, known=reporter.names))
    reporter.compute_record()
    if not _lease_held(training_run, execution_id):
        return _taken_over(training_run)
    training_run.last_checkpoint = result.last_checkpoint or ""
    training_run.best_checkpoint = result.best_checkpoint or ""
    training_run.step = result.steps
    training_run.cut_examples, training_run.dropped_pairs = result.cut_examples, result.dropped_pairs
    training_run.context_tokens = _context_tokens(config, result.last_checkpoint)
    if result.best_val_loss is not None:
        # The engine's best spans every execution, as its checkpoint state carries it.
        training_run.best_val_loss = result.best_val_loss
    _checkpoints_to_artifacts(training_run)
    if not core_storage.is_local():
        remove_tree(out_dir)  # stored in the bucket, where a later execution fetches it from
    if result.stopped == "cancelled" and quota_error:
        # Stopped at its last checkpoint; it can be resumed once the quota resets.
        return _finish(training_run, Status.FAILED, error=quota_error)
    status = Status.CANCELLED if result.stopped == "cancelled" else Status.FINISHED
    return _finish(training_run, status)


def _taken_over(training_run: TrainingRun) -> str:
    """The end of an execution another took over: the run is the other's to finish (its
    folder here is left alone: on this host it may be the other's too)."""
    logger.warning("training run %s was taken over by another execution; this one stopped", training_run.pk)
    return TrainingRun.objects.get(pk=training_run.pk).status


def _run_dir_fetch(out_dir: Path) -> None:
    """A continued execution on S3 (and each other node of one) takes what the latest earlier
    execution stored: its run folder, and the checkpoints an execution lost before it stored
    the folder had stored as it saved them (apps.training.checkpoint_store); with nothing
    stored it starts from the beginning. A copy this worker kept from an earlier execution is
    dropped first: another worker may have trained and stored past it since."""
    if core_storage.is_local():
        return
    remove_tree(out_dir)
    index = checkpoint_store.index_read(out_dir)
    try:
        file_cache.fetched_tree(out_dir)
    except file_cache.CacheError as exc:
        # Stored, but it could not be fetched whole: the run fails saying why, unless the
        # execution was lost while storing it over the checkpoints the index still names.
        if core_storage.stored_exists(out_dir / core_storage.MANIFEST) and not index:
            raise
        logger.info("training run folder %s: %s", out_dir.name, exc)
        for name in set(checkpoint_store.NAMES) - set(index):
            remove_tree(out_dir / name)  # perhaps fetched in part: only whole ones are kept
    checkpoint_store.fetch_into(out_dir)


@contextmanager
def _engine_config(training_run: TrainingRun, out_dir: Path) -> Iterator:
    """The engine's TrainConfig for an execution: the stored options, with the paths built
    here from the run's ids. Its data stays on this machine while the block runs (on S3 in
    the worker's bounded cache, kept from eviction; nothing of it stays after)."""
    from ml.train.config import TrainConfig

    config = TrainConfig.from_dict(training_run.config)
    config.data.cache_dir = str(Path(settings.MEDIA_ROOT) / "token-cache")
    config.train.out_dir = str(out_dir)
    config.train.max_iters = training_run.max_steps
    # Nodes without a shared run folder: rank 0 writes whole checkpoints, which it stores.
    config.train.sharded_checkpoints = training_run.nnodes == 1 or core_storage.is_local()
    # A checkpoint from an earlier execution (cancelled, resumed, or a lost worker) is
    # where this one picks up.
    config.train.resume = (out_dir / "last").exists()
    with ExitStack() as data:
        config.data.path = str(data.enter_context(dataset_version_files(training_run.dataset_version)))
        if training_run.val_dataset_version is not None:
            config.data.val_path = str(data.enter_context(dataset_version_files(training_run.val_dataset_version)))
        yield config


def _engine_inputs(training_run: TrainingRun, config, out_dir: Path) -> None:
    """Fills in the files the run reads besides its data, pinned in its folder once."""
    config.data.tokenizer = _tokenizer_option(training_run, config.data.tokenizer, out_dir)
    _feature_scores_option(training_run, config, out_dir)
    if training_run.method != TrainingRun.Method.SCRATCH:
        config.model.base = fine_tune.base_file_pin(training_run, out_dir)


class TrainingProcessError(Exception):
    """A multi-process execution ended without a result; the message says why."""


# In a multi-process execution's run folder, the execution whose node 0 works there: a node
# that finds its own execution there shares node 0's disk (a worker with concurrency above 1,
# or two workers with one MEDIA_ROOT), and so its folder. (Hidden: never stored.)
NODE0_EXECUTION = ".node0-execution"


def _execute_processes(training_run: TrainingRun, config, out_dir: Path, execution_id: str):
    """Node 0 of a multi-process execution: writes the engine config its processes read (on
    S3 each other node builds its own: _node_inputs), opens the rendezvous, queues one task per other node, and runs torchrun here until every
    process is done. (TrainResult, the quota error that stopped it or "")."""
    import json

    from ml.train import TrainResult

    from .tasks import training_run_node_task

    if refused := launch.capacity_refusal(training_run.nproc_per_node):
        raise TrainingProcessError(refused)
    (out_dir / launch.ENGINE_CONFIG).write_text(json.dumps(config.to_dict()))
    (out_dir / NODE0_EXECUTION).write_text(execution_id)
    cache.delete_many([launch.outcome_key(training_run.pk), launch.error_key(training_run.pk)])
    training_run.rdzv_endpoint = launch.endpoint_open(training_run.nnodes)
    training_run.node_status = {}
    TrainingRun.objects.filter(pk=training_run.pk, lease_owner=execution_id).update(
        rdzv_endpoint=training_run.rdzv_endpoint, node_status={})
    for node_rank in range(1, training_run.nnodes):
        training_run_node_task.delay(training_run.pk, node_rank, execution_id)
    code = launch.node_run(training_run, node_rank=0, execution_id=execution_id)
    outcome = cache.get(launch.outcome_key(training_run.pk))
    if code != 0 or outcome is None:
        error = cache.get(launch.error_key(training_run.pk))
        raise TrainingProcessError(
            f"a training process stopped (torchrun exit code {code}), and again after every process "
            "started once more from the last checkpoint" + (f"; the last error: {error}" if error else ""))
    with _lease_beating(training_run, execution_id):
        result = _rank_zero_checkpoints(training_run, TrainResult(**outcome["result"]), out_dir)
    return result, outcome["quota_error"]


def _rank_zero_checkpoints(training_run: TrainingRun, result, out_dir: Path):
    """The result of a multi-process execution, its checkpoints on this host. Nodes that share
    no run folder (S3): rank 0 ran on whichever node's host c10d ranked first (by address, not
    by node rank), perhaps not this one, and stored each checkpoint as it saved it; node 0 takes
    those newer than its own before its folder is published and the index retired, and names
    them here rather than where rank 0 saved them."""
    from dataclasses import replace

    if training_run.nnodes == 1 or core_storage.is_local():
        return result
    checkpoint_store.fetch_into(out_dir)
    last, best = out_dir / "last", out_dir / "best"
    return replace(result, last_checkpoint=str(last) if last.exists() else None,
                   best_checkpoint=str(best) if best.exists() else None)


def training_run_node_execute(*, training_run_id: int, node_rank: int, execution_id: str) -> str:
    """Node `node_rank` (1 and up) of a multi-node execution joins node 0's rendezvous and
    runs its processes; an execution that has ended or been taken over is left alone. A node
    whose worker cannot hold the processes says why to node 0, which fails the run with it."""
    training_run = TrainingRun.objects.get(pk=training_run_id)
    if (training_run.status != Status.RUNNING or training_run.lease_owner != execution_id
            or not training_run.rdzv_endpoint):
        return "skipped"
    if refused := launch.capacity_refusal(training_run.nproc_per_node):
        cache.set(launch.error_key(training_run.pk), f"node {node_rank}: {refused}", timeout=launch.OUTCOME_TTL_S)
        launch.node_status_set(training_run.pk, node_rank, "refused")
        return "refused"
    out_dir = _run_dir(training_run)
    # On S3 a folder of its own, unless node 0 works on this disk: then node 0's is its
    # folder too, which it neither fetches over nor removes.
    own_folder = not core_storage.is_local() and not _node0_works_here(out_dir, execution_id)
    # Its inputs, the data among them, on this machine while its processes train.
    inputs = ExitStack()
    try:
        if own_folder:
            inputs.enter_context(_node_inputs(training_run, out_dir))
    except Exception as exc:
        logger.exception("training run %s: node %s could not prepare", training_run_id, node_rank)
        cache.set(launch.error_key(training_run.pk), f"node {node_rank}: "
                  f"{error_text(exc, known=_names_for_owner(training_run))}", timeout=launch.OUTCOME_TTL_S)
        launch.node_status_set(training_run.pk, node_rank, "refused")
        return "refused"
    try:
        with inputs:
            code = launch.node_run(training_run, node_rank=node_rank)
    finally:
        if own_folder:
            remove_tree(out_dir)  # node 0 stores the run folder; this host keeps no copy
    return "finished" if code == 0 else f"exited {code}"


def _node0_works_here(out_dir: Path, execution_id: str) -> bool:
    try:
        return (out_dir / NODE0_EXECUTION).read_text() == execution_id
    except FileNotFoundError:
        return False


@contextmanager
def _node_inputs(training_run: TrainingRun, out_dir: Path) -> Iterator[None]:
    """On S3 a node other than node 0 that shares no disk with it: it takes the run folder
    and checkpoints as stored (what node 0 took when its execution started; nothing is stored
    until every node joined), and builds the engine config and inputs from the run's rows as
    node 0 did, with this host's paths (its data held there while the block runs)."""
    import json

    _run_dir_fetch(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with _engine_config(training_run, out_dir) as config:
        _engine_inputs(training_run, config, out_dir)
        (out_dir / launch.ENGINE_CONFIG).write_text(json.dumps(config.to_dict()))
        yield


def training_run_rank_execute(*, training_run_id: int, step_hook=None) -> None:
    """One process of a multi-process execution, under torchrun: trains with the engine
    config node 0 wrote. Rank 0 reports as an in-process execution does (metrics, log,
    heartbeat, compute for all processes, the cancel flag, which the engine hands to every
    process) and leaves the outcome for node 0's worker; the others write nothing, and any
    process's error is left for node 0 to fail the run with. `step_hook` is called before
    every step (tests stop a process with it)."""
    import json
    from dataclasses import asdict

    from ml.train import Callbacks, train
    from ml.train.config import TrainConfig

    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    training_run = TrainingRun.objects.select_related("owner", "run", "dataset_version").get(pk=training_run_id)
    out_dir = _run_dir(training_run)
    restart = int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")) > 0
    if training_run.nnodes > 1 and not core_storage.is_local():
        # (A node whose own processes did not die starts again with its count unchanged.)
        restart = checkpoint_store.restore_stored_at_restart(out_dir) or restart
    config = TrainConfig.from_dict(json.loads((out_dir / launch.ENGINE_CONFIG).read_text()))
    # Started again after a process died: from the last checkpoint the processes saved.
    config.train.resume = (out_dir / "last").exists()
    reporter = _Reporter(training_run, training_run.lease_owner, processes=world, config=config) if rank == 0 else None

    def should_stop() -> bool:
        if step_hook is not None:
            step_hook()
        return reporter.should_stop() if reporter else False

    callbacks, uploader = Callbacks(should_stop=should_stop), None
    if reporter is not None:
        # Rank 0 renames each checkpoint into place, every process's shards of it written.
        uploader = checkpoint_store.uploader(out_dir, lambda: _lease_beating(training_run, training_run.lease_owner),
                                             account_of(training_run))
        callbacks = Callbacks(on_metrics=reporter.on_metrics, on_log=reporter.on_log, should_stop=should_stop,
                              on_checkpoint=reporter.checkpoint_storer(uploader))
        if restart:
            reporter.on_log("a training process stopped; every process starts again from the last checkpoint")
    try:
        result = train(config, callbacks)
    except Exception as exc:
        cache.set(launch.error_key(training_run.pk), error_text(exc, known=_names_for_owner(training_run, config)),
                  timeout=launch.OUTCOME_TTL_S)
        raise
    finally:
        if uploader is not None:
            uploader.close()
        if reporter is not None:
            reporter.compute_record()
    if reporter is not None:
        cache.set(launch.outcome_key(training_run.pk), {"result": asdict(result), "quota_error": reporter.quota_error},
                  timeout=launch.OUTCOME_TTL_S)


def _context_tokens(config, checkpoint: str | None) -> int | None:
    """The context the run's rows held (what its examples were cut to): as configured, else
    the model's own, which its checkpoint names."""
    from ml.train.checkpoint import read_meta

    if config.model.block_size:
        return config.model.block_size
    return read_meta(checkpoint).model_config.block_size if checkpoint else None


# The files of a checkpoint a person needs to use the model elsewhere.
CHECKPOINT_FILES = ("model.safetensors", "config.json", "tokenizer.json")


def _checkpoints_to_artifacts(training_run: TrainingRun) -> None:
    for label, directory in (("last", training_run.last_checkpoint), ("best", training_run.best_checkpoint)):
        if not directory:
            continue
        for filename in CHECKPOINT_FILES:
            source = Path(directory) / filename
            if source.exists():
                with source.open("rb") as handle:
                    artifact_record(run_id=training_run.run_id, file=File(handle, name=filename),
                                    path=f"checkpoints/{label}/{filename}")


def _finish(training_run: TrainingRun, status: str, error: str = "") -> str:
    with transaction.atomic():
        training_run.error = error
        training_run.lease_owner = ""
        training_run.eta_seconds = None
        _set_status(training_run, status)
        # Only what the execution decided: progress fields were written by the callbacks as
        # they came, and a full save of this instance would put back their first values.
        training_run.save(update_fields=[
            "error", "lease_owner", "eta_seconds", "status", "step", "best_val_loss",
            "last_checkpoint", "best_checkpoint", "context_tokens", "cut_examples", "dropped_pairs",
            "updated_at",
        ])
        # Its slot goes to the next waiting run.
        dispatch_after_commit()
    if error:
        training_run_log_append(training_run=training_run, line=error)
    return status
