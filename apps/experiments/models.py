"""Experiment tracking rows: experiments hold runs; a run has typed params, tags, notes,
metric series (a summary row per key plus a lean table of points) and artifacts."""

from __future__ import annotations

from django.db import models

from apps.core.models import OwnedModel


class Experiment(OwnedModel):
    # Set once the object is moved into a team's ownership; see apps.core.access. A team
    # being deleted hands its objects to the owner who deletes it (apps.teams.services).
    team = models.ForeignKey("teams.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        # One name per owner among their private experiments: one moved into a team leaves
        # its name free for a new private one.
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name"], condition=models.Q(team__isnull=True),
                name="experiment_unique_name_per_owner",
            )
        ]

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL_STATUSES = {RunStatus.FINISHED, RunStatus.FAILED, RunStatus.CANCELLED}


class Run(OwnedModel):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="runs")
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    # JSON scalars keep their type, so `params.lr > 1e-4` compares numbers as numbers.
    params = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["experiment", "-created_at"], name="run_experiment_created")
        ]

    def __str__(self) -> str:
        return self.name


class MetricSeries(models.Model):
    """One metric key of one run, with the summary that run search filters and sorts on.
    Kept current by every ingestion (see metric_store.py). Reached only through its run,
    which is owner-scoped, so it carries no owner of its own."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="metric_series")
    key = models.CharField(max_length=250)
    count = models.BigIntegerField(default=0)
    min_step = models.BigIntegerField()
    max_step = models.BigIntegerField()
    # "Last" is the value at the highest step; a later write at the same step wins.
    last_step = models.BigIntegerField()
    last_value = models.FloatField()
    last_timestamp = models.FloatField()
    min_value = models.FloatField()
    max_value = models.FloatField()

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["run", "key"], name="metric_series_unique_key_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.key}"


class MetricBatch(models.Model):
    """A metrics batch sent with an Idempotency-Key, written in the batch's own transaction:
    a client that resends after losing the answer gets the first answer back instead of a
    second copy of every point."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    count = models.IntegerField()  # points the batch stored
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "key"], name="metric_batch_unique_key_per_run")
        ]
        # Each new batch deletes its run's keys older than a day (services.run_metrics_log);
        # without this index that reads all of the run's keys, one per flush, every time.
        indexes = [models.Index(fields=["run", "created_at"], name="metric_batch_run_created")]


class MetricPoint(models.Model):
    """The lean points table, written with COPY. `timestamp` is seconds since the epoch
    as the client measured it (a float, so ingestion builds no datetime objects)."""

    # The composite index below serves every lookup; a separate FK index would only cost writes.
    series = models.ForeignKey(
        MetricSeries, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    step = models.BigIntegerField()
    value = models.FloatField()
    timestamp = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["series", "step"], name="metric_point_series_step")]


class MetricRollup(models.Model):
    """Pre-aggregated blocks of `size` consecutive steps, kept at a few sizes so a long series
    downsamples from thousands of rollup rows instead of a scan of millions of points.
    Maintained by the same ingestion transaction as the points (see metric_store.py)."""

    series = models.ForeignKey(
        MetricSeries, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    size = models.IntegerField()
    block = models.BigIntegerField()  # step // size
    count = models.BigIntegerField()
    sum_value = models.FloatField()
    min_value = models.FloatField()
    max_value = models.FloatField()
    last_step = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["series", "size", "block"], name="metric_rollup_unique_block"
            )
        ]


class Artifact(OwnedModel):
    """A file of a run. `path` is only a display name (a sanitized relative path); the bytes
    live at a path built from the owner, run and artifact ids (see storage.py)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="artifacts")
    path = models.CharField(max_length=500)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["run", "path"], name="artifact_unique_path_per_run")
        ]

    def __str__(self) -> str:
        return self.path
