"""The model registry: registered models, their semantic versions (from a training run, an
upload, or the starter model), stage history, and quantized `.sou` exports with reports."""

from django.conf import settings
from django.db import models

from apps.core.models import OwnedModel


class RegisteredModel(OwnedModel):
    # Set once the object is moved into a team's ownership; see apps.core.access. A team
    # being deleted hands its objects to the owner who deletes it (apps.teams.services).
    team = models.ForeignKey("teams.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    # The personality gate (personality_gate.py): a version goes to production only when its
    # alignment with this personality version reaches `min_alignment` and moves at most
    # `max_alignment_drift` from the current production version's; staff may override.
    target_personality_version = models.ForeignKey(
        "personalities.PersonalityVersion", null=True, blank=True, on_delete=models.PROTECT,
        related_name="target_of_models",
    )
    min_alignment = models.FloatField(null=True, blank=True)
    max_alignment_drift = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        # One name per owner among their private models (see Experiment).
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], condition=models.Q(team__isnull=True),
                                    name="registered_model_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.TextChoices):
    DEVELOPMENT = "development"
    STAGING = "staging"
    PRODUCTION = "production"
    ARCHIVED = "archived"


class ModelVersion(OwnedModel):
    class Source(models.TextChoices):
        TRAINING_RUN = "training_run"
        HF_UPLOAD = "hf_upload"
        GGUF_UPLOAD = "gguf_upload"
        SOU_UPLOAD = "sou_upload"
        STARTER = "starter"
        PERSONALITY = "personality"  # a personality applied to another version
        HUB = "hub"  # pulled from a Hugging Face-compatible hub (its HubPull says which repo)

    class Status(models.TextChoices):
        IMPORTING = "importing"
        READY = "ready"
        FAILED = "failed"

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="versions")
    major = models.PositiveIntegerField()
    minor = models.PositiveIntegerField()
    patch = models.PositiveIntegerField()
    description = models.TextField(blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.DEVELOPMENT)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IMPORTING)
    error = models.TextField(blank=True)
    # Lineage: the training run it came from, and through it the dataset version.
    training_run = models.ForeignKey(
        "training.TrainingRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="model_versions"
    )
    dataset_version = models.ForeignKey(
        "datasets.DatasetVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="model_versions"
    )
    # Lineage of a version made by applying a personality: the version it was made from and
    # the personality version applied (apps.personalities.applications).
    base_version = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="derived_versions"
    )
    personality_version = models.ForeignKey(
        "personalities.PersonalityVersion", null=True, blank=True, on_delete=models.PROTECT,
        related_name="model_versions",
    )
    # Filled by the import: the model's architecture config and size.
    architecture = models.JSONField(default=dict, blank=True)
    parameters = models.BigIntegerField(null=True, blank=True)
    # sha256 of the canonical full-precision .sou this version is stored as.
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    # The import's (or pull's) task: one live execution at a time (apps.core.leases), and the
    # executions started, so one that keeps killing its worker fails after a few.
    attempts = models.PositiveIntegerField(default=0)
    lease_owner = models.CharField(max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-major", "-minor", "-patch"]
        constraints = [
            models.UniqueConstraint(
                fields=["registered_model", "major", "minor", "patch"], name="model_version_unique"
            ),
            # At most one production version per model, enforced by the database.
            models.UniqueConstraint(
                fields=["registered_model"], condition=models.Q(stage="production"),
                name="one_production_version_per_model",
            ),
        ]

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def __str__(self) -> str:
        return f"{self.registered_model.name}:{self.version}"


class StageTransition(models.Model):
    """Who moved which version from which stage to which, and when."""

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="transitions")
    from_stage = models.CharField(max_length=16, choices=Stage.choices)
    to_stage = models.CharField(max_length=16, choices=Stage.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=500, blank=True)
    # What the personality gate measured for a move to production (personality_gate.py):
    # passed or overridden by staff, with the reasons; {} where no gate applied.
    gate = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]


class ModelExport(OwnedModel):
    """A file of a version at one quantization type, with its quality report: a `.sou` (what
    chat serves) or a GGUF file to take the model to llama.cpp or Ollama."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        READY = "ready"
        FAILED = "failed"

    class Format(models.TextChoices):
        SOU = "sou", ".sou"
        GGUF = "gguf", "GGUF"

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="exports")
    qtype = models.CharField(max_length=8)
    format = models.CharField(max_length=8, choices=Format.choices, default=Format.SOU)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    # size, perplexity (and delta vs F32), mean KL divergence vs F32, tokens/s.
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["qtype", "format"]
        constraints = [
            models.UniqueConstraint(fields=["model_version", "qtype", "format"],
                                    name="one_export_per_type_and_format")
        ]


class HubPull(models.Model):
    """Where a version pulled from a model hub came from, and how far its download got (the
    page shows it after a reload; the socket sends it live)."""

    model_version = models.OneToOneField(ModelVersion, on_delete=models.CASCADE, related_name="hub_pull")
    # The hub it was pulled from (SLOUGHGPT_HUB_ENDPOINT at the time), so a redelivered task
    # reads the same one.
    endpoint = models.CharField(max_length=200)
    repo_id = models.CharField(max_length=200)
    revision = models.CharField(max_length=200)
    filename = models.CharField(max_length=300, blank=True)  # the GGUF file; "" for a model directory
    commit_sha = models.CharField(max_length=64)  # the revision resolved at inspection
    license = models.CharField(max_length=200, blank=True)
    bytes_done = models.BigIntegerField(default=0)
    bytes_total = models.BigIntegerField(default=0)
    # What the account is charged for the version's files: the download and the converted
    # file's estimate, reserved when the pull is asked for; the file's own size once ready.
    # Deleting the version mid-pull gives back this, not whatever has arrived so far.
    bytes_charged = models.BigIntegerField(default=0)


class HubToken(models.Model):
    """A user's access token for the hub (gated repos), sealed (apps.core.sealed); the API
    shows only its hint."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hub_token")
    sealed = models.TextField()
    hint = models.CharField(max_length=16)
    updated_at = models.DateTimeField(auto_now=True)
