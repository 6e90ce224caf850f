"""What an account has used of each limit, for the usage API and page: the number, the limit,
when it lifts (None for limits that do not reset by time) and what counts toward it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from rest_framework.exceptions import NotFound

from apps.teams.models import Team

from .accounts import Account, account_for_team, account_for_user
from .limits import limits_for
from .models import AccountQuota
from .ratelimit import WINDOW_S, api_requests_this_minute
from .storage import storage_used

WHAT_COUNTS = {
    "storage_bytes": "Every file kept for you: dataset uploads (and what their zips expand to), model "
                     "versions with their exports, training checkpoints, run artifacts, documents and "
                     "personality files. Deleting frees it; moving an object into a team moves its bytes.",
    "compute_seconds_per_month": "CPU-seconds plus GPU-seconds your training runs used this month (UTC), "
                                 "as the workers measure them.",
    "concurrent_runs": "Training runs running at once; more wait in the queue.",
    "chat_tokens_per_day": "Tokens generated for you today (UTC): chat replies, arena replies and the "
                           "OpenAI-compatible API.",
    "concurrent_generations": "Chat replies and API completions being generated at once.",
    "api_requests_per_minute": "Requests to /api/v1, /v1 and the MLflow API (/api/2.0) this minute, with the "
                               "browser or an API token.",
}
# Chat and API requests are a person's, never a team's.
TEAM_LIMITS = ("storage_bytes", "compute_seconds_per_month", "concurrent_runs")


@dataclass(frozen=True)
class Usage:
    name: str
    used: float
    limit: int | None
    resets_at: datetime | None
    what_counts: str


def _training_usage(account: Account) -> dict[str, tuple[float, datetime | None]]:
    from apps.training.compute import month_start, next_month_start
    from apps.training.models import TrainingRun
    from apps.training.selectors import account_runs_filter, compute_used_seconds

    running = TrainingRun.objects.filter(account_runs_filter(account), status=TrainingRun.Status.RUNNING).count()
    return {
        "compute_seconds_per_month": (compute_used_seconds(account=account, month_start=month_start()),
                                      next_month_start()),
        "concurrent_runs": (running, None),
    }


def _chat_usage(user_id: int) -> dict[str, tuple[float, datetime | None]]:
    from apps.chat.quotas import quota_status

    chat = quota_status(user_id=user_id)
    window_end = datetime.fromtimestamp((int(time.time()) // WINDOW_S + 1) * WINDOW_S, UTC)
    return {
        "chat_tokens_per_day": (chat["tokens_used_today"], chat["resets_at"]),
        "concurrent_generations": (chat["running"], None),
        "api_requests_per_minute": (api_requests_this_minute(Account(user_id=user_id)), window_end),
    }


def storage_usage(account: Account) -> Usage:
    """The account's storage alone (the datasets page's bar): what the usage list shows."""
    return Usage(name="storage_bytes", used=storage_used(account), limit=limits_for(account).storage_bytes,
                 resets_at=None, what_counts=WHAT_COUNTS["storage_bytes"])


def usage_list(account: Account) -> list[Usage]:
    limits = limits_for(account)
    used = {"storage_bytes": (storage_used(account), None), **_training_usage(account)}
    if account.user_id is not None:
        used |= _chat_usage(account.user_id)
    return [Usage(name=name, used=used[name][0], limit=getattr(limits, name), resets_at=used[name][1],
                  what_counts=WHAT_COUNTS[name]) for name in WHAT_COUNTS if name in used]


def staff_account_get(*, user, kind: str, account_id) -> tuple[Account, object]:
    """The user or team a staff member names, with its account; 404 for anyone not staff
    (the route does not exist for them) and for ids that do not exist."""
    model = {"user": get_user_model(), "team": Team}.get(kind)
    if not (user.is_authenticated and user.is_staff) or model is None or not str(account_id).isdigit():
        raise NotFound("Not found.")
    holder = model.objects.filter(pk=int(account_id)).first()
    if holder is None:
        raise NotFound(f"No {kind} with id {account_id}.")
    return (account_for_user(holder) if kind == "user" else account_for_team(holder)), holder


def account_quota_get(account: Account) -> AccountQuota | None:
    return AccountQuota.objects.select_related("plan").filter(**account.lookup()).first()
