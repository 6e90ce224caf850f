"""The two ways a quota refuses: `QuotaExceeded` (429 with Retry-After, for limits that lift
with time or when something running ends) and `StorageQuotaExceeded` (413, for files that
do not fit; it names the limit, what is used and the file's size). Each refusal is counted by
the limit that refused (apps.monitoring.metrics.QUOTA_REFUSALS), wherever it is raised; a
metric that cannot be written never turns the refusal into an error."""

from __future__ import annotations

from datetime import datetime

from rest_framework import status
from rest_framework.exceptions import APIException, Throttled

from apps.monitoring.metrics import quota_refusal_count


class QuotaExceeded(Throttled):
    """A 429 with Retry-After; `reset_at` says when the limit lifts; `limit` names the quota
    that refused (the quota's field, e.g. "chat_tokens_per_day")."""

    default_code = "quota_exceeded"

    def __init__(self, message: str, retry_after: int, reset_at: datetime, *, limit: str):
        quota_refusal_count(limit)
        self.limit = limit
        self.reset_at = reset_at
        super().__init__(wait=retry_after, detail=message)
        self.retry_after = retry_after
        self.message = message


class StorageQuotaExceeded(APIException):
    """A 413: storing `needed_bytes` more would take the account past `limit_bytes`."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "storage_quota_exceeded"

    def __init__(self, *, limit_bytes: int, used_bytes: int, needed_bytes: int, whose: str = "Your"):
        quota_refusal_count("storage_bytes")
        self.limit_bytes, self.used_bytes, self.needed_bytes = limit_bytes, used_bytes, needed_bytes
        super().__init__(
            f"{whose} storage quota is {limit_bytes} bytes and {used_bytes} are used; "
            f"this file needs {needed_bytes} more. Delete files or ask for a larger plan."
        )
