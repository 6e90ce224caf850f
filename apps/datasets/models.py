"""Datasets and their immutable, content-addressed versions."""

from django.db import models

from apps.core.models import OwnedModel


class Dataset(OwnedModel):
    # Set once the object is moved into a team's ownership; see apps.core.access. A team
    # being deleted hands its objects to the owner who deletes it (apps.teams.services).
    team = models.ForeignKey("teams.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class DatasetVersion(OwnedModel):
    """One uploaded file (or zip of files). Never modified after validation; a new upload is
    a new version. `sha256` is the content address of the uploaded bytes."""

    class Status(models.TextChoices):
        VALIDATING = "validating"
        VALID = "valid"
        INVALID = "invalid"

    class Format(models.TextChoices):
        TXT = "txt"
        JSONL = "jsonl"
        JSON = "json"
        CSV = "csv"
        ZIP = "zip"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    filename = models.CharField(max_length=255)
    format = models.CharField(max_length=8, choices=Format.choices)
    sha256 = models.CharField(max_length=64, db_index=True)
    size_bytes = models.BigIntegerField()
    # Bytes counted against the quota: the upload plus anything extracted from it.
    stored_bytes = models.BigIntegerField(default=0)
    # Where a JSON/CSV record's text lives; prompt/response pairs make an instruction set.
    text_column = models.CharField(max_length=100, default="text")
    prompt_column = models.CharField(max_length=100, default="prompt")
    response_column = models.CharField(max_length=100, default="response")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.VALIDATING)
    # The validation report: records, characters, estimated_tokens, preview, errors.
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="dataset_version_number"),
            models.UniqueConstraint(fields=["dataset", "sha256"], name="dataset_version_content"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset.name} v{self.number}"

