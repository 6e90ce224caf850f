"""The bridge between card rows and the `fsrs` package: a user's Scheduler, a row as an
fsrs.Card and back, and the due date each grade would give (shown on the grade buttons)."""

from __future__ import annotations

from datetime import UTC, datetime

import fsrs

from .models import Card, SchedulerParameters

RATINGS = (1, 2, 3, 4)  # again, hard, good, easy (fsrs.Rating)


def scheduler_for(owner_id: int, *, fuzz: bool = True) -> fsrs.Scheduler:
    """The user's scheduler: their optimized parameters if they have any, else fsrs's."""
    saved = SchedulerParameters.objects.filter(owner_id=owner_id).first()
    if saved is None:
        return fsrs.Scheduler(enable_fuzzing=fuzz)
    options = {"parameters": saved.parameters} if saved.parameters else {}
    return fsrs.Scheduler(desired_retention=saved.desired_retention, enable_fuzzing=fuzz, **options)


def to_fsrs(card: Card) -> fsrs.Card:
    return fsrs.Card(card_id=card.pk, state=fsrs.State(card.state), step=card.step, stability=card.stability,
                     difficulty=card.difficulty, due=card.due, last_review=card.last_review)


def apply_fsrs(card: Card, scheduled: fsrs.Card) -> None:
    card.state = int(scheduled.state)
    card.step = scheduled.step
    card.stability = scheduled.stability
    card.difficulty = scheduled.difficulty
    card.due = scheduled.due
    card.last_review = scheduled.last_review


def grade(scheduler: fsrs.Scheduler, card: Card, *, rating: int, at: datetime,
          duration_ms: int | None) -> None:
    """Moves `card` (a row) to the state `rating` at `at` leads to."""
    scheduled, _ = scheduler.review_card(to_fsrs(card), fsrs.Rating(rating), review_datetime=at.astimezone(UTC),
                                         review_duration=duration_ms)
    apply_fsrs(card, scheduled)


def preview(scheduler: fsrs.Scheduler, card: Card, *, at: datetime) -> dict[str, datetime]:
    """The due date each grade would give the card now ({"1": ..., "4": ...})."""
    memory = to_fsrs(card)
    return {str(rating): scheduler.review_card(memory, fsrs.Rating(rating), review_datetime=at.astimezone(UTC))[0].due
            for rating in RATINGS}
