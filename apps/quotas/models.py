"""Quotas as data: `Plan`s with six limits (one plan is the default), an `AccountQuota` that
puts a user or a team on a plan and overrides single limits, and `StorageUsage`, the bytes an
account's files take. A limit of null means unlimited; an override of null means "the plan's".

What each account may use is read through `apps.quotas.limits.limits_for`; storage is charged
and released only through `apps.quotas.storage`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

# The six limits, in the order the usage page shows them; each a nullable integer field on
# Plan and AccountQuota.
LIMIT_FIELDS = (
    "storage_bytes",
    "compute_seconds_per_month",
    "concurrent_runs",
    "chat_tokens_per_day",
    "concurrent_generations",
    "api_requests_per_minute",
)
DEFAULT_PLAN_NAME = "default"


def _limit_field(help_text: str) -> models.PositiveBigIntegerField:
    return models.PositiveBigIntegerField(null=True, blank=True, help_text=help_text)


class _Limits(models.Model):
    storage_bytes = _limit_field("Bytes of stored files: dataset files, models, checkpoints, artifacts, "
                                 "exports, documents.")
    compute_seconds_per_month = _limit_field("CPU and GPU seconds of training per calendar month (UTC).")
    concurrent_runs = _limit_field("Training runs running at once.")
    chat_tokens_per_day = _limit_field("Tokens generated per UTC day (chat and the OpenAI-compatible API).")
    concurrent_generations = _limit_field("Chat generations running at once.")
    api_requests_per_minute = _limit_field("Requests to /api/v1 and /v1 per minute.")

    class Meta:
        abstract = True


class Plan(_Limits):
    """A named set of limits. Accounts without a plan of their own are on the default plan;
    empty limits are unlimited."""

    name = models.CharField(max_length=64, unique=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="plan_one_default"),
        ]

    def __str__(self) -> str:
        return self.name


def _one_account() -> Q:
    return (Q(user__isnull=False) & Q(team__isnull=True)) | (Q(user__isnull=True) & Q(team__isnull=False))


class AccountQuota(_Limits):
    """One account's plan (empty: the default plan) and its per-limit overrides (empty: the
    plan's value). Set by staff in the admin or through the staff API."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="quota")
    team = models.OneToOneField("teams.Team", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="quota")
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=_one_account(), name="account_quota_one_account")]

    def __str__(self) -> str:
        return f"quota of {self.user or self.team}"


class StorageUsage(models.Model):
    """Bytes an account's files take. Changed only by conditional UPDATEs
    (`apps.quotas.storage`), and the database refuses a row over its ceiling, so concurrent
    uploads cannot overshoot. `ceiling_bytes` is the limit the last charge was checked
    against (null: unlimited); files a worker already wrote are charged even over the limit,
    raising the ceiling to what is used, so that nothing else fits until usage drops."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="storage")
    team = models.OneToOneField("teams.Team", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="storage")
    used_bytes = models.BigIntegerField(default=0)
    ceiling_bytes = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "storage usage"
        constraints = [
            models.CheckConstraint(condition=_one_account(), name="storage_usage_one_account"),
            models.CheckConstraint(
                condition=Q(used_bytes__gte=0) & (Q(ceiling_bytes__isnull=True) | Q(used_bytes__lte=models.F("ceiling_bytes"))),
                name="storage_usage_within_ceiling",
            ),
        ]

    def __str__(self) -> str:
        return f"storage of {self.user or self.team}"
