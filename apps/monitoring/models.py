"""What monitoring stores: an `InferenceRecord` per served generation (its trace hops and the
features drift detection reads) and `UsageRollup`s, the per-version hourly and daily sums the
dashboards chart, kept up to date by an upsert when a record is written so a year of traffic
reads as a few thousand rows."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from pgvector.django import VectorField

from apps.core.models import OwnedModel
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
    # The trace's timestamps, in order; between them the hops web -> queue -> worker ->
    # prefill -> decode -> relay (apps.monitoring.traces).
    received_at = models.DateTimeField(null=True, blank=True)  # the web process got the request
    queued_at = models.DateTimeField(null=True, blank=True)  # the task was sent
    worker_started_at = models.DateTimeField(null=True, blank=True)  # a worker picked it up
    submitted_at = models.DateTimeField(null=True, blank=True)  # the prompt reached the engine
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


# -- drift detection (apps.monitoring.drift) ----------------------------------------------------
class DriftKind(models.TextChoices):
    PROMPT = "prompt"  # the prompts' embeddings (MMD)
    PERSONALITY = "personality"  # the replies' personality metrics (KS per metric)
    LENGTH = "length"  # the replies' length in characters (KS)
    REFUSAL = "refusal"  # the share of replies that refuse (two-proportion test)
    FEEDBACK = "feedback"  # the share of thumbs down among rated replies (two-proportion test)


class DriftSettings(models.Model):
    """How a model version's drift is measured; a version without a row uses the defaults."""

    model_version = models.OneToOneField(
        "registry.ModelVersion", on_delete=models.CASCADE, related_name="drift_settings"
    )
    # The reference: this dataset version's prompts and replies when set, else the version's
    # first week of traffic. Feedback has no dataset counterpart and always uses the week.
    reference_dataset_version = models.ForeignKey(
        "datasets.DatasetVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    window_hours = models.PositiveIntegerField(default=24)  # each window compared with it
    min_requests = models.PositiveIntegerField(default=50)  # fewer on a side: "insufficient"
    alpha = models.FloatField(default=0.01)  # a p-value under it is drift
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"drift settings of version {self.model_version_id}"


class DriftResult(models.Model):
    """One drift test of one kind over one window of a version's traffic against its reference."""

    class Status(models.TextChoices):
        OK = "ok"
        INSUFFICIENT = "insufficient"  # too little traffic on a side; `message` says how much is needed

    model_version = models.ForeignKey("registry.ModelVersion", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=DriftKind.choices)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    # The traffic reference (first week), or the dataset version or personality evaluation it
    # was compared with.
    reference_start = models.DateTimeField(null=True, blank=True)
    reference_end = models.DateTimeField(null=True, blank=True)
    reference_dataset_version = models.ForeignKey(
        "datasets.DatasetVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Personality drift: the version's personality evaluation whose answers were the baseline.
    reference_evaluation = models.ForeignKey(
        "personalities.PersonalityEvaluation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    statistic = models.FloatField(null=True, blank=True)
    p_value = models.FloatField(null=True, blank=True)
    threshold = models.FloatField()
    drifted = models.BooleanField(default=False)
    n_reference = models.PositiveIntegerField(default=0)
    n_window = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices)
    message = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)  # per-metric results, rates, bandwidth
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-window_end", "-id"]
        indexes = [models.Index(fields=["model_version", "kind", "-window_end"], name="monitoring_drift_latest")]
        # A window is tested once per kind, however many times its check is delivered.
        constraints = [models.UniqueConstraint(fields=["model_version", "kind", "window_end"],
                                               name="monitoring_drift_once_per_window")]

    def __str__(self) -> str:
        return f"{self.kind} drift of version {self.model_version_id} to {self.window_end:%Y-%m-%d %H:%M}"


class DriftReferenceSample(models.Model):
    """The features of one record of a dataset version picked as a drift reference, computed
    once (a valid dataset version never changes) the first time a check needs them."""

    dataset_version = models.ForeignKey("datasets.DatasetVersion", on_delete=models.CASCADE, related_name="+")
    prompt_embedding = VectorField(dimensions=EMBEDDING_DIM, null=True, blank=True)
    reply_chars = models.PositiveIntegerField(null=True, blank=True)
    refused = models.BooleanField(null=True, blank=True)
    personality_scores = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["dataset_version"], name="monitoring_drift_refsample")]


# -- Alerts (apps.monitoring.alert_*): rules their owners set, the events they fire, and how
# each event reached each channel.


class AlertRule(OwnedModel):
    """A condition on a monitored series that notifies the owner while it holds. `series` is
    one of `apps.monitoring.selectors`' series (compared with `threshold` over the latest
    `window`), "drift:<kind>" (holds while the version's latest drift result drifted) or
    "quota:<limit>" (the owner's percent used of a plan limit, compared with `threshold`)."""

    class Comparison(models.TextChoices):
        GT = "gt", ">"
        GTE = "gte", ">="
        LT = "lt", "<"
        LTE = "lte", "<="

    name = models.CharField(max_length=200)
    # Null: the whole site (staff) or a rule on the owner's quota. A rule goes with its version.
    model_version = models.ForeignKey("registry.ModelVersion", null=True, blank=True, on_delete=models.CASCADE,
                                      related_name="+")
    series = models.CharField(max_length=64)
    comparison = models.CharField(max_length=3, choices=Comparison.choices, default=Comparison.GTE)
    threshold = models.FloatField(default=0)
    window = models.CharField(max_length=4, choices=UsageRollup.Granularity.choices,
                              default=UsageRollup.Granularity.HOUR)
    enabled = models.BooleanField(default=True)
    notify_portal = models.BooleanField(default=True)
    notify_email = models.BooleanField(default=False)
    # Checked by apps.core.outbound when saved and again at each delivery.
    webhook_url = models.URLField(max_length=2000, blank=True)
    # The HMAC key the webhook's signature is made with; generated, shown to the owner only.
    webhook_secret = models.CharField(max_length=64, blank=True)
    # What the last evaluation saw: the value, or why there was none ("no data in this window").
    last_evaluated_at = models.DateTimeField(null=True, blank=True)
    last_value = models.FloatField(null=True, blank=True)
    last_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class AlertEvent(models.Model):
    """A rule firing: open while its condition holds (at most one open per rule, so a rule
    that keeps holding notifies once), resolved when it stops holding."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="events")
    fired_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    message = models.CharField(max_length=500)

    class Meta:
        ordering = ["-fired_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule"], condition=models.Q(resolved_at__isnull=True),
                                    name="monitoring_alert_one_open_event"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} at {self.fired_at:%Y-%m-%d %H:%M}"


class AlertDelivery(models.Model):
    """One notice of an event (its firing or its resolution) on one channel."""

    class Channel(models.TextChoices):
        PORTAL = "portal"
        EMAIL = "email"
        WEBHOOK = "webhook"

    class Notice(models.TextChoices):
        FIRED = "fired"
        RESOLVED = "resolved"

    class Status(models.TextChoices):
        PENDING = "pending"  # not tried yet, or waiting for its next attempt
        DELIVERED = "delivered"
        FAILED = "failed"  # every attempt failed

    event = models.ForeignKey(AlertEvent, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    notice = models.CharField(max_length=8, choices=Notice.choices)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "channel", "notice"], name="monitoring_alert_delivery_once"),
        ]


class AlertDeliveryAttempt(models.Model):
    """One try of a delivery, as it went: the webhook's HTTP status, or why it failed."""

    delivery = models.ForeignKey(AlertDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(auto_now_add=True)
    ok = models.BooleanField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
