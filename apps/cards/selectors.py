"""Reads for spaced repetition, always the requesting user's own decks, cards and reviews
(another user's id is a 404): lists, the due queue, statistics, and a deck as an .apkg."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from apps.core.selectors import owned_get, owned_queryset

from .anki_export import ExportCard, write_apkg
from .models import Card, Deck, ReviewLog

STATS_DAYS = 30
MAX_DUE_LIMIT = 200


def _count(queryset) -> Coalesce:
    counted = queryset.order_by().values("deck").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def deck_list(*, user) -> QuerySet[Deck]:
    """The user's decks, newest first, each with `card_count` and `due_count` (due now)."""
    cards = Card.objects.filter(deck=OuterRef("pk"))
    return owned_queryset(Deck, user=user).annotate(
        card_count=_count(cards), due_count=_count(cards.filter(due__lte=timezone.now())),
    ).order_by("-created_at", "-id")


def deck_get(*, user, deck_id) -> Deck:
    return owned_get(deck_list(user=user), user=user, pk=deck_id)


def card_list(*, user, deck_id) -> QuerySet[Card]:
    deck = owned_get(Deck, user=user, pk=deck_id)
    return owned_queryset(Card, user=user).filter(deck=deck).order_by("id")


def card_get(*, user, card_id) -> Card:
    return owned_get(Card, user=user, pk=card_id)


def due_cards(*, user, deck_id=None, limit: int = 50) -> QuerySet[Card]:
    """The cards due now, most overdue first (in one deck, or across the user's decks)."""
    queryset = owned_queryset(Card, user=user).filter(due__lte=timezone.now())
    if deck_id is not None:
        queryset = queryset.filter(deck=owned_get(Deck, user=user, pk=deck_id))
    return queryset.order_by("due", "id")[:min(limit, MAX_DUE_LIMIT)]


@dataclass(frozen=True)
class DayCount:
    date: date
    count: int


@dataclass(frozen=True)
class ReviewStats:
    due_now: int
    due_today: int  # due before the end of today (the server's time zone)
    reviews_per_day: list[DayCount]  # the last STATS_DAYS days, today last
    # Of the last STATS_DAYS days' reviews of cards in review (not still being learnt), the
    # share recalled (graded hard or better); None before there is any.
    retention: float | None
    forecast: list[DayCount]  # cards falling due on each of the next STATS_DAYS days, today first (overdue included)


def review_stats(*, user) -> ReviewStats:
    now = timezone.now()
    today = timezone.localdate(now)
    end_of_today = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))
    cards = owned_queryset(Card, user=user)
    due = cards.aggregate(now=Count("pk", filter=Q(due__lte=now)), today=Count("pk", filter=Q(due__lt=end_of_today)))
    first_day = today - timedelta(days=STATS_DAYS - 1)
    since = timezone.make_aware(datetime.combine(first_day, time.min))
    reviews = _reviews(user).filter(reviewed_at__gte=since)
    per_day = dict(reviews.annotate(day=TruncDate("reviewed_at")).values("day").annotate(n=Count("pk"))
                   .values_list("day", "n"))
    recalled = reviews.filter(state_before=Card.State.REVIEW).aggregate(
        total=Count("pk"), recalled=Count("pk", filter=Q(rating__gte=2)))
    last_day = today + timedelta(days=STATS_DAYS - 1)
    upcoming = dict(cards.filter(due__lt=timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min)))
                    .annotate(day=TruncDate("due")).values("day").annotate(n=Count("pk")).values_list("day", "n"))
    overdue = sum(n for day, n in upcoming.items() if day < today)
    return ReviewStats(
        due_now=due["now"], due_today=due["today"],
        reviews_per_day=[DayCount(first_day + timedelta(days=i), per_day.get(first_day + timedelta(days=i), 0))
                         for i in range(STATS_DAYS)],
        retention=recalled["recalled"] / recalled["total"] if recalled["total"] else None,
        forecast=[DayCount(today + timedelta(days=i), upcoming.get(today + timedelta(days=i), 0) + (overdue if i == 0 else 0))
                  for i in range(STATS_DAYS)],
    )


def _reviews(user) -> QuerySet[ReviewLog]:
    """The user's reviews (ReviewLog has an owner but no timestamps of its own, so it is not
    an OwnedModel)."""
    if user is None or not user.is_authenticated:
        return ReviewLog.objects.none()
    return ReviewLog.objects.filter(owner=user)


def deck_export(*, user, deck_id) -> tuple[str, bytes]:
    """The deck as an .apkg: its file name (from the deck's name) and bytes."""
    deck = owned_get(Deck, user=user, pk=deck_id)
    cards = [ExportCard(guid=_guid(card), kind=card.kind, front=card.front, back=card.back)
             for card in Card.objects.filter(deck=deck).order_by("id")]
    stem = re.sub(r"[^\w .-]+", "", deck.name).strip(" .") or "deck"
    return f"{stem[:100]}.apkg", write_apkg(deck_name=deck.name, description=deck.description, cards=cards)


def _guid(card: Card) -> str:
    """An imported note keeps Anki's id (re-importing it into Anki updates it, not copies it)."""
    guid = (card.source.get("ids") or {}).get("guid") if isinstance(card.source, dict) else None
    return guid if isinstance(guid, str) and guid else f"sloughgpt-{card.pk}"
