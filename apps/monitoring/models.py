"""What monitoring stores: an `InferenceRecord` per served generation (its trace hops and the
features drift detection reads) and `UsageRollup`s, the per-version hourly and daily sums the
dashboards chart, kept up to date by an upsert when a record is written so a year of traffic
reads as a few thousand rows."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from pgvector.django import VectorField

from apps.rag.models import EMBEDDING_DIM

# Upper bounds (ms, inclusive) of the latency histogram buckets a rollup counts; the last
# bucket holds everything slower. Fixed, so buckets of any two rollups add up.
LATENCY_BUCKETS_MS = (50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000)


class InferenceRecord(models.Model):
    """One served generation: a chat reply (or regenerate), a /v1 completion or an arena
    reply. Written once, by `apps.monitoring.records.inference_record_write`."""

    class Source(models.TextChoices):
        CHAT = "chat"
        V1 = "v1"
        ARENA = "arena"

    class Status(models.TextChoices):
        OK = "ok"
        ERROR = "error"
        STOPPED = "stopped"

    # Kept when the version or the user goes, so site-wide history still adds up.
    model_version = models.ForeignKey(
        "registry.ModelVersion", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(max_length=8, choices=Source.choices)
    # The chat reply this generation wrote (null for /v1 and arena); its thumbs are feedback.
    message = models.ForeignKey("chat.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices)
    error_code = models.CharField(max_length=64, blank=True)
    # The trace hops, in order: web -> queue -> worker -> prefill -> decode -> relay.
    received_at = models.DateTimeField(null=True, blank=True)  # the web process got the request
    queued_at = models.DateTimeField(null=True, blank=True)  # the task was sent
    worker_started_at = models.DateTimeField(null=True, blank=True)  # a worker picked it up
    prefill_done_at = models.DateTimeField(null=True, blank=True)  # the first token
    finished_at = models.DateTimeField(null=True, blank=True)  # the last token
    relayed_at = models.DateTimeField(null=True, blank=True)  # the end was relayed to the client
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    ttft_ms = models.FloatField(null=True, blank=True)
    tokens_per_s = models.FloatField(null=True, blank=True)
    # Drift features, filled in after the reply was delivered (null until then, or if one fails).
    prompt_embedding = VectorField(dimensions=EMBEDDING_DIM, null=True, blank=True)
    reply_chars = models.PositiveIntegerField(null=True, blank=True)
    refused = models.BooleanField(null=True, blank=True)
    personality_scores = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["model_version", "-id"], name="monitoring_record_version"),
            models.Index(fields=["model_version", "created_at"], name="monitoring_record_window"),
        ]

    def __str__(self) -> str:
        return f"{self.source} generation {self.pk}"


class UsageRollup(models.Model):
    """Sums of a model version's records over one hour or one day (bucket_start in UTC); the
    rows with no version are the whole site's sums, which keep counting a version's traffic
    after the version (and its own rows) is deleted."""

    class Granularity(models.TextChoices):
        HOUR = "hour"
        DAY = "day"

    model_version = models.ForeignKey(
        "registry.ModelVersion", null=True, on_delete=models.CASCADE, related_name="+"
    )
    granularity = models.CharField(max_length=4, choices=Granularity.choices)
    bucket_start = models.DateTimeField()
    requests = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    prompt_tokens = models.BigIntegerField(default=0)
    completion_tokens = models.BigIntegerField(default=0)
    # Counts per LATENCY_BUCKETS_MS bucket (one more for the overflow) of the latency from
    # request to last token, and of the time to first token; arrays, so the upsert adds them
    # element by element.
    latency_buckets = ArrayField(models.PositiveIntegerField(), default=list)
    ttft_buckets = ArrayField(models.PositiveIntegerField(), default=list)
    feedback_up = models.IntegerField(default=0)
    feedback_down = models.IntegerField(default=0)
    arena_wins = models.PositiveIntegerField(default=0)
    arena_losses = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["bucket_start"]
        constraints = [
            # The upsert's conflict target; NULLS NOT DISTINCT so the site's rows are one per bucket.
            models.UniqueConstraint(
                fields=["model_version", "granularity", "bucket_start"],
                name="monitoring_rollup_bucket", nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.granularity} {self.bucket_start:%Y-%m-%d %H:%M} v{self.model_version_id}"
