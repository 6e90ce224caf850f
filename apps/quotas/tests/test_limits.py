"""limits_for: the default plan's limits, another plan's, and per-account overrides."""

from __future__ import annotations

import pytest
from django.conf import settings

from apps.quotas.accounts import account_for_team, account_for_user, account_of
from apps.quotas.limits import limits_for
from apps.quotas.models import Plan
from apps.teams.models import Team

from .factories import override

pytestmark = pytest.mark.django_db


def test_an_account_without_a_plan_gets_the_default_plan_from_settings(make_user):
    # given
    user = make_user()
    # when
    limits = limits_for(account_for_user(user))
    # then
    assert limits.storage_bytes == settings.SLOUGHGPT_STORAGE_QUOTA_BYTES
    assert limits.chat_tokens_per_day == settings.SLOUGHGPT_CHAT_TOKENS_PER_DAY
    assert limits.concurrent_generations == settings.SLOUGHGPT_CHAT_MAX_CONCURRENT
    assert limits.concurrent_runs == settings.SLOUGHGPT_CONCURRENT_RUNS


def test_a_plan_and_an_override_apply_to_their_account_only(make_user):
    # given
    user, other = make_user(), make_user()
    team = Team.objects.create(name="lab")
    pro = Plan.objects.create(name="pro", storage_bytes=10**12, concurrent_runs=8, chat_tokens_per_day=None)
    limits_for(account_for_user(user))  # cached before the change
    # when
    override(user=user, plan=pro, concurrent_runs=1)
    override(team=team, api_requests_per_minute=5)
    # then
    mine = limits_for(account_for_user(user))
    assert (mine.storage_bytes, mine.concurrent_runs, mine.chat_tokens_per_day) == (10**12, 1, None)
    assert limits_for(account_for_user(other)).concurrent_runs == settings.SLOUGHGPT_CONCURRENT_RUNS
    assert limits_for(account_for_team(team)).api_requests_per_minute == 5


def test_a_team_owned_object_counts_against_the_team(make_user):
    # given
    from apps.datasets.models import Dataset

    user = make_user()
    team = Team.objects.create(name="lab")
    private = Dataset.objects.create(owner=user, name="mine")
    shared = Dataset.objects.create(owner=user, name="ours", team=team)
    # then
    assert account_of(private) == account_for_user(user)
    assert account_of(shared) == account_for_team(team)
