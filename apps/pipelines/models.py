"""Recipes and their versions (the steps, stored in the canonical form `ml.data.pipeline`
reads), runs of a recipe version over input dataset versions with their report and the
dataset versions they produced, and features materialized per dataset version."""

from __future__ import annotations

from django.db import models

from apps.core.models import OwnedModel


class Recipe(OwnedModel):
    # Set once the recipe is moved into a team's ownership; see apps.core.access.
    team = models.ForeignKey("teams.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class RecipeVersion(OwnedModel):
    """The steps at one point in time. Never changed: editing the steps adds a version, so a
    run always names exactly what it ran. `owner` is whoever wrote this version."""

    recipe = models.ForeignKey(Recipe, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    steps = models.JSONField()  # ml.data.pipeline.recipe_to_dict(...)["steps"]

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["recipe", "number"], name="recipe_version_number")]

    def __str__(self) -> str:
        return f"{self.recipe.name} v{self.number}"


class RecipeRun(OwnedModel):
    """One execution of a recipe version. Private to whoever started it (apps.core.access
    does not list it): its report quotes records of inputs that others sharing the recipe
    may not be able to read."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    # Cleared when the recipe is deleted: the run, its outputs' lineage and what it ran
    # (`recipe_snapshot`) stay, for whoever started it.
    recipe_version = models.ForeignKey(RecipeVersion, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="runs")
    # {recipe, name, number, steps} of the recipe version it ran, kept once that is deleted.
    recipe_snapshot = models.JSONField(default=dict, blank=True)
    # The input dataset versions in recipe order, as [{id, dataset_id, dataset, number}]: the
    # names stay readable in the lineage after an input is deleted.
    inputs = models.JSONField()
    output_name = models.CharField(max_length=200)
    # Existing datasets the outputs go to as new versions, {part: dataset id} ("*": every
    # part); a part not named here gets a new dataset named after `output_name`.
    output_datasets = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # The last progress event: {step, records_in, records_out, fraction}.
    progress = models.JSONField(default=dict, blank=True)
    report = models.JSONField(default=dict, blank=True)  # ml.data.pipeline RecipeReport.to_dict()
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    lease_owner = models.CharField(max_length=255, blank=True, default="")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.recipe_ran['name']} v{self.recipe_ran['number']}"

    @property
    def recipe_ran(self) -> dict:
        """{recipe, name, number, steps}: the recipe version this run ran, also once deleted."""
        version = self.recipe_version
        if version is None:
            return self.recipe_snapshot
        return {"recipe": version.recipe_id, "name": version.recipe.name, "number": version.number,
                "steps": version.steps}


class RecipeRunOutput(models.Model):
    """A dataset version a run wrote: the whole output ("data") or one split part. A re-run
    whose output is byte for byte an existing version names that version too; its lineage
    is the first run's."""

    run = models.ForeignKey(RecipeRun, on_delete=models.CASCADE, related_name="outputs")
    part = models.CharField(max_length=16)  # data, train, validation or test
    dataset_version = models.ForeignKey(
        "datasets.DatasetVersion", on_delete=models.CASCADE, related_name="recipe_outputs")
    records = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["run", "part"], name="recipe_run_part_once")]


class FeatureMaterialization(OwnedModel):
    """One feature group computed over one dataset version: a Parquet file in the version's
    folder (so it counts and goes with the version), one row per record in reading order."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    dataset_version = models.ForeignKey(
        "datasets.DatasetVersion", on_delete=models.CASCADE, related_name="feature_materializations")
    group = models.CharField(max_length=32)
    feature_versions = models.JSONField(default=dict)  # {feature: version} as computed
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    rows = models.PositiveBigIntegerField(default=0)
    statistics = models.JSONField(default=dict, blank=True)  # {feature: statistics}
    error = models.TextField(blank=True)
    lease_owner = models.CharField(max_length=255, blank=True, default="")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["group"]
        constraints = [models.UniqueConstraint(fields=["dataset_version", "group"], name="feature_group_once")]

    def __str__(self) -> str:
        return f"{self.group} features of {self.dataset_version_id}"
