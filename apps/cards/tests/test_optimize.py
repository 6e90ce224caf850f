"""The scheduler's parameters fitted to the user's own review history: refused with the
count while there are too few reviews; once there are enough, the fitted parameters are
kept and schedule the user's next grades."""

from __future__ import annotations

import random
from datetime import timedelta
from uuid import uuid4

import fsrs
import pytest
from django.utils import timezone

from apps.cards.models import Card, ReviewLog, SchedulerParameters
from apps.cards.scheduling import scheduler_for
from apps.cards.services import OPTIMIZE_MIN_REVIEWS, scheduler_optimize

from .factories import deck

pytestmark = pytest.mark.django_db


def _history(user, *, cards: int, reviews_each: int) -> None:
    """A forgetful learner's history: reviews days apart, a third of them forgotten."""
    made = deck(user, cards=tuple((f"Q{i}", f"A{i}") for i in range(cards)))
    rng = random.Random(7)
    start = timezone.now() - timedelta(days=400)
    logs = []
    for card in Card.objects.filter(deck=made):
        at = start
        for _ in range(reviews_each):
            at += timedelta(days=rng.randint(1, 12))
            logs.append(ReviewLog(owner=user, card=card, card_ref=card.pk, rating=1 if rng.random() < 0.33 else 3, reviewed_at=at,
                                  state_before=Card.State.REVIEW, client_review_id=uuid4()))
    ReviewLog.objects.bulk_create(logs)


def test_optimizing_with_too_few_reviews_is_refused_with_the_count(make_user, api_client_for):
    # given
    user = make_user()
    _history(user, cards=2, reviews_each=3)
    # when
    response = api_client_for(user).post("/api/v1/review/optimize/")
    # then
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        f"Optimizing needs at least {OPTIMIZE_MIN_REVIEWS} reviews; you have 6.")


def test_optimizing_is_queued_once_there_are_enough_reviews(make_user, api_client_for, django_capture_on_commit_callbacks,
                                                            monkeypatch):
    # given
    user = make_user()
    _history(user, cards=60, reviews_each=10)
    queued = []
    monkeypatch.setattr("apps.cards.tasks.scheduler_optimize_task.delay", queued.append)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(user).post("/api/v1/review/optimize/")
    # then
    assert response.status_code == 202
    assert queued == [user.pk]


def test_optimizing_again_within_the_hour_is_refused_with_when_to_retry(make_user, api_client_for, monkeypatch):
    # given an optimization just asked for
    user = make_user()
    _history(user, cards=60, reviews_each=10)
    monkeypatch.setattr("apps.cards.tasks.scheduler_optimize_task.delay", lambda user_id: None)
    client = api_client_for(user)
    assert client.post("/api/v1/review/optimize/").status_code == 202
    # when it is asked for again
    again = client.post("/api/v1/review/optimize/")
    # then
    assert again.status_code == 429
    assert 0 < int(again["Retry-After"]) <= 3600
    assert "less than an hour ago" in again.json()["error"]["message"]


def test_fitted_parameters_are_kept_and_used_for_the_users_next_grades(make_user):
    # given a history of enough reviews
    user = make_user()
    _history(user, cards=60, reviews_each=12)
    # when the optimizer runs
    saved = scheduler_optimize(user_id=user.pk)
    # then its parameters differ from fsrs's defaults and schedule this user's cards
    assert saved == SchedulerParameters.objects.get(owner=user)
    assert saved.reviews_used == 720
    assert len(saved.parameters) == len(fsrs.Scheduler().parameters)
    assert tuple(saved.parameters) != fsrs.Scheduler().parameters
    assert scheduler_for(user.pk).parameters == tuple(saved.parameters)
    assert scheduler_for(make_user().pk).parameters == fsrs.Scheduler().parameters
