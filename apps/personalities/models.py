"""Personalities as stored objects: a `Personality` (built-in or owned) and its immutable
`PersonalityVersion`s. Editing or retraining makes a new version; the old ones stay, so
whatever points at a version (a conversation, a model version made with it, an evaluation)
keeps meaning what it meant. Other apps reference `PersonalityVersion` (on_delete=PROTECT,
or SET_NULL where history may outlive it); `services.personality_delete` refuses while any
such reference exists.

Built-ins: the archetypes of `ml.personality.ARCHETYPES` (a data migration creates them),
`owner` null, read-only, visible to every user; `archetype` holds their key ("sage").
A version's behaviour is `spec` (the ml object's `to_dict()`) plus its artifact files under
`storage.version_dir`; `loader.personality_version_load` turns both into the ml object.

`PersonalityEvaluation` and `PersonalityApplication` (evaluations.py, applications.py) measure
a personality version on a model version and apply it to one; they go with the personality
when it is deleted, which the model versions made by applications refuse while they exist."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.core.models import OwnedModel


class Personality(models.Model):
    class Kind(models.TextChoices):
        CONFIG = "config"  # trait values -> prompt, sampling, metric targets; instant
        LEARNED = "learned"  # a classifier fitted on example texts against a background
        NEURAL = "neural"  # one persona of a contrastively trained embedding space (a task)

    # Null only for the built-ins every user sees and may copy but not change.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
        related_name="+", db_index=True,
    )
    # Set once the object is moved into a team's ownership; see apps.core.access. A team
    # being deleted hands its objects to the owner who deletes it (apps.teams.services).
    team = models.ForeignKey("teams.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The ml.personality archetype key a built-in (or a config personality made from one) is.
    archetype = models.CharField(max_length=50, blank=True)
    # The version chat, scoring and new applications use; set by every service that adds one.
    current_version = models.ForeignKey(
        "PersonalityVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "personalities"
        ordering = [models.F("owner").asc(nulls_first=True), "name", "id"]
        constraints = [
            # One name per owner among their private personalities (see Experiment).
            models.UniqueConstraint(fields=["owner", "name"], condition=models.Q(team__isnull=True),
                                    name="personality_unique_name"),
            models.UniqueConstraint(
                fields=["name"], condition=models.Q(owner__isnull=True),
                name="builtin_personality_unique_name",
            ),
        ]

    @property
    def builtin(self) -> bool:
        return self.owner_id is None

    def __str__(self) -> str:
        return self.name


class PersonalityVersion(models.Model):
    """One immutable state of a personality. A `training` version (neural) becomes `ready`
    or `failed` once, by its task; its `metrics` keep the loss per epoch."""

    class Status(models.TextChoices):
        TRAINING = "training"
        READY = "ready"
        FAILED = "failed"

    personality = models.ForeignKey(Personality, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    # Config kind: every trait of ml.personality.config.TRAITS in [0, 1]; {} for the others.
    traits = models.JSONField(default=dict, blank=True)
    # Metric name -> [low, high] the personality aims for (config), or the examples' mean
    # -+ one spread (learned); {} where the kind has none.
    target_ranges = models.JSONField(default=dict, blank=True)
    # temperature, top_p, repetition_penalty, max_new_tokens (ml's generation_defaults()).
    generation_defaults = models.JSONField(default=dict, blank=True)
    system_prompt = models.TextField(blank=True)
    # The ml object's to_dict(); large arrays live in the artifact files, not here.
    spec = models.JSONField(default=dict, blank=True)
    # File names inside storage.version_dir (safetensors + JSON; never a pickle).
    artifacts = models.JSONField(default=list, blank=True)
    # Where it came from: counts of examples and background texts, a dataset version id,
    # the copied version, the neural training settings.
    provenance = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.READY)
    progress = models.FloatField(default=1.0)  # 0..1 while training
    # Neural training: [{"epoch": 1, "loss": 3.2}, ...], appended as epochs finish.
    metrics = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["personality", "number"], name="personality_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.personality.name} v{self.number}"


class RunStatus(models.TextChoices):
    """Where an evaluation or an application stands (both are leased tasks)."""

    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"


class PersonalityEvaluation(OwnedModel):
    """The evaluation harness (ml.personality.evaluate) run on one model version against one
    personality version: every condition's metrics, alignment and perplexity on the chosen
    probes, the answers side by side, and the chart. Made by an application (of its result)
    and by the registry's personality gate, which reuses one only on its own probe set."""

    Status = RunStatus

    model_version = models.ForeignKey(
        "registry.ModelVersion", on_delete=models.CASCADE, related_name="personality_evaluations"
    )
    personality_version = models.ForeignKey(
        PersonalityVersion, on_delete=models.CASCADE, related_name="evaluations"
    )
    # Indices into ml's probe set (evaluations.probe_set()), in the order they were asked.
    probe_ids = models.JSONField(default=list)
    max_tokens = models.PositiveIntegerField(default=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True)
    # evaluations.report_of(): conditions, deltas, served condition, answers side by side.
    report = models.JSONField(default=dict, blank=True)
    has_chart = models.BooleanField(default=False)  # storage.evaluation_chart() was written
    # Lease: the execution that runs it, and when it last said it was alive.
    lease_owner = models.CharField(max_length=255, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class PersonalityApplication(OwnedModel):
    """A personality version applied to a model version the user owns, as a new version of
    the same registered model: steering vectors in its `.sou`, a merged persona LoRA, or the
    personality's system prompt and sampling defaults only. Then evaluated (`evaluation`)."""

    class Method(models.TextChoices):
        STEERING = "steering"
        LORA = "lora"
        PROMPT = "prompt"

    Status = RunStatus

    model_version = models.ForeignKey(
        "registry.ModelVersion", on_delete=models.CASCADE, related_name="personality_applications"
    )
    personality_version = models.ForeignKey(
        PersonalityVersion, on_delete=models.CASCADE, related_name="applications"
    )
    method = models.CharField(max_length=16, choices=Method.choices)
    # What the user chose, allow-listed per method (applications.OPTIONS), defaults filled in.
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # What it is doing now ("applying", "registering", "evaluating") and how far, 0..1.
    stage = models.CharField(max_length=16, blank=True)
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True)
    result_version = models.ForeignKey(
        "registry.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evaluation = models.OneToOneField(
        PersonalityEvaluation, null=True, blank=True, on_delete=models.SET_NULL, related_name="application"
    )
    # What ml said about the applied file (steer_file's or persona_lora's summary).
    summary = models.JSONField(default=dict, blank=True)
    lease_owner = models.CharField(max_length=255, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
