"""The bridge between card rows and the `fsrs` package: a user's Scheduler, a row as an
fsrs.Card and back, and the due date each grade would give (shown on the grade buttons).

fsrs spreads a long interval by a few days at random ("fuzz", so cards learnt together do
not fall due together). Our scheduler draws that spread from a generator seeded by the card,
its revision and the grade, so the date a grade button shows is the date the grade gives."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import fsrs
from fsrs.scheduler import FUZZ_RANGES

from .models import Card, SchedulerParameters

RATINGS = (1, 2, 3, 4)  # again, hard, good, easy (fsrs.Rating)


class SeededScheduler(fsrs.Scheduler):
    """fsrs's Scheduler whose fuzz is drawn from `fuzz_seed` rather than the process's random
    state (set per card and grade by `grade` and `preview`)."""

    fuzz_seed = ""

    def _get_fuzzed_interval(self, *, interval: timedelta) -> timedelta:
        # fsrs's own fuzz range (Scheduler._get_fuzzed_interval), drawn from the seed.
        days = interval.days
        if days < 2.5:
            return interval
        delta = 1.0 + sum(part["factor"] * max(min(float(days), part["end"]) - part["start"], 0.0)
                          for part in FUZZ_RANGES)
        high = min(round(days + delta), self.maximum_interval)
        low = min(max(2, round(days - delta)), high)
        drawn = random.Random(self.fuzz_seed).random() * (high - low + 1) + low
        return timedelta(days=min(round(drawn), self.maximum_interval))


def scheduler_for(owner_id: int) -> SeededScheduler:
    """The user's scheduler: their optimized parameters if they have any, else fsrs's."""
    saved = SchedulerParameters.objects.filter(owner_id=owner_id).first()
    if saved is None:
        return SeededScheduler()
    options = {"parameters": saved.parameters} if saved.parameters else {}
    return SeededScheduler(desired_retention=saved.desired_retention, **options)


def _seed(scheduler: fsrs.Scheduler, card: Card, rating: int) -> None:
    scheduler.fuzz_seed = f"{card.pk}:{card.revision}:{rating}"


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
    """Moves `card` (a row, not yet at its next revision) to the state `rating` at `at` leads to."""
    _seed(scheduler, card, rating)
    scheduled, _ = scheduler.review_card(to_fsrs(card), fsrs.Rating(rating), review_datetime=at.astimezone(UTC),
                                         review_duration=duration_ms)
    apply_fsrs(card, scheduled)


def preview(scheduler: fsrs.Scheduler, card: Card, *, at: datetime) -> dict[str, datetime]:
    """The due date each grade would give the card now ({"1": ..., "4": ...})."""
    memory = to_fsrs(card)
    due = {}
    for rating in RATINGS:
        _seed(scheduler, card, rating)
        due[str(rating)] = scheduler.review_card(memory, fsrs.Rating(rating), review_datetime=at.astimezone(UTC))[0].due
    return due
