"""Decks, their cards with each card's FSRS memory state, the review log, and each user's
scheduler parameters. Decks and cards are private to their owner (never shared)."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.core.models import OwnedModel

# A cloze deletion, `{{c1::answer}}` (Anki's syntax): a cloze card's front holds at least one.
CLOZE_DELETION = re.compile(r"\{\{c\d+::.+?\}\}", re.S)


class Deck(OwnedModel):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Card(OwnedModel):
    class Kind(models.TextChoices):
        BASIC = "basic"
        CLOZE = "cloze"  # `front` holds `{{c1::answer}}` deletions, all hidden at once

    class State(models.IntegerChoices):
        # The values of fsrs.State, so a row converts without a table.
        LEARNING = 1
        REVIEW = 2
        RELEARNING = 3

    deck = models.ForeignKey(Deck, on_delete=models.CASCADE, related_name="cards")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.BASIC)
    front = models.TextField()
    back = models.TextField(blank=True)
    # Where the card came from: {"kind": "manual"|"graph"|"conversation"|"anki", "ids": {...}}.
    source = models.JSONField(default=dict, blank=True)
    # What makes a generated card the same card on a second generation (empty for the rest),
    # so generating twice adds nothing; unique per deck.
    source_key = models.CharField(max_length=64, blank=True)
    # FSRS memory state (fsrs.Card's fields); a new card is due at once.
    state = models.PositiveSmallIntegerField(choices=State.choices, default=State.LEARNING)
    step = models.PositiveSmallIntegerField(null=True, blank=True, default=0)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField(default=timezone.now)
    last_review = models.DateTimeField(null=True, blank=True)
    # Bumped by every review: a grade sent with an older revision (another tab graded the
    # card meanwhile) is refused instead of counted twice.
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["deck", "source_key"], condition=~models.Q(source_key=""),
                                    name="cards_card_deck_source_key"),
        ]
        indexes = [
            models.Index(fields=["owner", "due"], name="cards_card_owner_due"),
            models.Index(fields=["deck", "due"], name="cards_card_deck_due"),
        ]

    def __str__(self) -> str:
        return self.front[:80]


class ReviewLog(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Kept (null) when the card or its deck is deleted: the statistics of past days and the
    # optimizer's fit do not change because a card went.
    card = models.ForeignKey(Card, null=True, on_delete=models.SET_NULL, related_name="reviews")
    # The graded card's id, kept after it is deleted, so the optimizer still reads this
    # review as one card's history.
    card_ref = models.BigIntegerField()
    rating = models.PositiveSmallIntegerField()  # fsrs.Rating: 1 again, 2 hard, 3 good, 4 easy
    reviewed_at = models.DateTimeField(db_index=True)
    review_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # The card's state when it was graded: retention counts only reviews of cards in Review.
    state_before = models.PositiveSmallIntegerField(choices=Card.State.choices)
    # The id the client made for this grade: a retry of the same grade finds this row and
    # answers with `card_after` instead of grading again.
    client_review_id = models.UUIDField()
    # The card as this review left it (the API's card fields), the answer to a retry.
    card_after = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "client_review_id"], name="cards_review_owner_client_id"),
        ]
        indexes = [models.Index(fields=["owner", "reviewed_at"], name="cards_review_owner_time")]

    def __str__(self) -> str:
        return f"review of card {self.card_id}: {self.rating}"


class SchedulerParameters(models.Model):
    """One user's FSRS scheduler: the package's defaults until optimized from their reviews."""

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    parameters = models.JSONField(default=list, blank=True)  # 21 floats; empty: fsrs's defaults
    desired_retention = models.FloatField(default=0.9)
    optimized_at = models.DateTimeField(null=True, blank=True)
    reviews_used = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "scheduler parameters"

    def __str__(self) -> str:
        return f"scheduler of user {self.owner_id}"
