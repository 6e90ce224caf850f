"""A sweep (an Optuna study over training-engine options or an external script's parameters,
with its budget, parallelism and lease) and its trials, each a tracked run."""

from __future__ import annotations

from django.db import models

from apps.core.models import OwnedModel


class Sweep(OwnedModel):
    class Kind(models.TextChoices):
        TRAINING = "training"  # each trial is a training run on the `train` queue
        EXTERNAL = "external"  # each trial is run by an agent (`sloughgpt sweep agent`)

    class Sampler(models.TextChoices):
        GRID = "grid"
        RANDOM = "random"
        TPE = "tpe"
        CMAES = "cmaes"

    class Pruner(models.TextChoices):
        NONE = "none"
        MEDIAN = "median"
        HYPERBAND = "hyperband"

    class Direction(models.TextChoices):
        MINIMIZE = "minimize"
        MAXIMIZE = "maximize"

    class Status(models.TextChoices):
        RUNNING = "running"
        PAUSED = "paused"
        FINISHED = "finished"
        CANCELLED = "cancelled"
        FAILED = "failed"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TRAINING)
    experiment = models.ForeignKey("experiments.Experiment", on_delete=models.CASCADE, related_name="sweeps")
    # What a training sweep trains on, and the options every trial shares (the space's
    # values replace them); empty for an external sweep.
    dataset_version = models.ForeignKey(
        "datasets.DatasetVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="sweeps"
    )
    base_config = models.JSONField(default=dict, blank=True)
    # A list of parameter specs (see space.py).
    search_space = models.JSONField()
    objective_metric = models.CharField(max_length=250, default="val_loss")
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.MINIMIZE)
    sampler = models.CharField(max_length=8, choices=Sampler.choices, default=Sampler.TPE)
    pruner = models.CharField(max_length=10, choices=Pruner.choices, default=Pruner.NONE)
    # Trials that must complete before the median pruner judges another.
    pruner_startup_trials = models.PositiveSmallIntegerField(default=5)
    # Makes the sampler's choices repeatable; null draws a fresh seed.
    seed = models.IntegerField(null=True, blank=True)
    max_trials = models.PositiveIntegerField(default=20)
    # No trial starts after this many seconds from the sweep's creation; null: no limit.
    max_wall_seconds = models.PositiveIntegerField(null=True, blank=True)
    parallelism = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    error = models.TextField(blank=True)
    # The Optuna study in the same database (optuna's RDB storage), by a name no other
    # sweep shares even after this one is deleted.
    study_name = models.CharField(max_length=64, unique=True)
    best_trial = models.ForeignKey("Trial", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    finished_at = models.DateTimeField(null=True, blank=True)
    # The scheduler holding the sweep (apps.core.leases), so two never ask for trials at once.
    lease_owner = models.CharField(max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Trial(OwnedModel):
    class State(models.TextChoices):
        RUNNING = "running"
        COMPLETE = "complete"
        PRUNED = "pruned"
        FAILED = "failed"
        CANCELLED = "cancelled"

    sweep = models.ForeignKey(Sweep, on_delete=models.CASCADE, related_name="trials")
    number = models.PositiveIntegerField()  # the Optuna trial's number within the study
    optuna_trial_id = models.BigIntegerField()
    params = models.JSONField(default=dict)
    run = models.ForeignKey("experiments.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    training_run = models.OneToOneField(
        "training.TrainingRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="sweep_trial"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    objective = models.FloatField(null=True, blank=True)
    # The step whose intermediate value the pruner judged too poor.
    pruned_step = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # An external trial's agent beats this with each call; a trial whose agent has been
    # silent for SWEEP_AGENT_TIMEOUT_S is failed (its agent died).
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["sweep", "number"], name="sweep_trial_unique_number")]

    def __str__(self) -> str:
        return f"trial {self.number} of sweep {self.sweep_id}"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.created_at).total_seconds()

    @property
    def state_detail(self) -> str:
        if self.state == self.State.PRUNED and self.pruned_step is not None:
            return f"pruned at step {self.pruned_step}"
        if self.state == self.State.FAILED and self.error:
            return f"failed: {self.error}"
        return str(self.state)
