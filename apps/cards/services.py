"""Writes for spaced repetition: decks and cards by hand, a review graded with FSRS (one per
grade, however often it is sent, and never on a card another tab has graded since), the
scheduler's parameters optimized from the user's own reviews, and Anki import."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import Throttled

from apps.core.selectors import owned_get
from apps.core.user_paths import plain_filename

from .anki_import import APKG_MAX_BYTES, MAX_FIELD_CHARS, AnkiError, read_apkg
from .models import CLOZE_DELETION, Card, Deck, ReviewLog, SchedulerParameters
from .scheduling import grade, scheduler_for

logger = logging.getLogger(__name__)
# The optimizer fits parameters on reviews of cards seen on an earlier day; fsrs keeps its
# defaults below 512 of those (its mini-batch), so fewer reviews are not worth a run.
OPTIMIZE_MIN_REVIEWS = 512
# A fit reads every review the user made: one per hour is plenty for a history that grows by
# days, and keeps repeated clicks from filling the worker.
OPTIMIZE_COOLDOWN_S = 3600
# Fields of the API's card that a review changes: what a retried grade answers with.
SCHEDULE_FIELDS = ("state", "step", "stability", "difficulty", "due", "last_review", "revision")


class StaleRevision(Exception):
    """The grade was made on an older revision of the card (another tab graded it since)."""

    def __init__(self, card: Card):
        super().__init__(f"Card {card.pk} was reviewed meanwhile (revision {card.revision}).")
        self.card = card


@dataclass(frozen=True)
class ReviewResult:
    card: Card  # as this grade left it
    review: ReviewLog
    replayed: bool  # a retry of a grade already counted: nothing was written


def _check_sides(*, kind: str, front: str, back: str) -> None:
    if not front.strip():
        raise ValidationError({"front": ["The front must not be empty."]})
    for field, text in (("front", front), ("back", back)):
        if len(text) > MAX_FIELD_CHARS:
            raise ValidationError({field: [f"At most {MAX_FIELD_CHARS} characters."]})
    if kind == Card.Kind.CLOZE and not CLOZE_DELETION.search(front):
        raise ValidationError({"front": ["A cloze card needs a deletion such as {{c1::answer}} in its front."]})


@transaction.atomic
def deck_create(*, user, name: str, description: str = "") -> Deck:
    return Deck.objects.create(owner=user, name=name.strip(), description=description)


@transaction.atomic
def deck_update(*, user, deck_id: int, **changes) -> Deck:
    deck = owned_get(Deck.objects.select_for_update(), user=user, pk=deck_id)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    for field, value in changes.items():
        setattr(deck, field, value)
    deck.save()
    return deck


@transaction.atomic
def deck_delete(*, user, deck_id: int) -> None:
    owned_get(Deck.objects.select_for_update(), user=user, pk=deck_id).delete()


@transaction.atomic
def card_create(*, user, deck_id: int, kind: str = Card.Kind.BASIC, front: str, back: str = "") -> Card:
    deck = owned_get(Deck, user=user, pk=deck_id)
    _check_sides(kind=kind, front=front, back=back)
    return Card.objects.create(owner=user, deck=deck, kind=kind, front=front, back=back,
                               source={"kind": "manual", "ids": {}})


@transaction.atomic
def card_update(*, user, card_id: int, **changes) -> Card:
    """Changes a card's text or kind; its schedule stays."""
    card = owned_get(Card.objects.select_for_update(), user=user, pk=card_id)
    for field, value in changes.items():
        setattr(card, field, value)
    _check_sides(kind=card.kind, front=card.front, back=card.back)
    card.save()
    return card


@transaction.atomic
def card_delete(*, user, card_id: int) -> None:
    owned_get(Card.objects.select_for_update(), user=user, pk=card_id).delete()


def card_review(*, user, card_id: int, rating: int, client_review_id: UUID, revision: int,
                review_duration_ms: int | None = None) -> ReviewResult:
    """Grades the card with FSRS. The card is locked while it is graded, so of two grades at
    once the second sees the first: a retry of the same `client_review_id` answers the first
    result and writes nothing; a grade for an older `revision` is StaleRevision; a deleted
    card is a 404 and nothing is written."""
    try:
        return _review(user=user, card_id=card_id, rating=rating, client_review_id=client_review_id,
                       revision=revision, review_duration_ms=review_duration_ms)
    except IntegrityError:
        # Only a retry racing its first send past the lock (its card deleted and made again
        # cannot share the id) meets the unique constraint: answer as a retry.
        return _review(user=user, card_id=card_id, rating=rating, client_review_id=client_review_id,
                       revision=revision, review_duration_ms=review_duration_ms)


@transaction.atomic
def _review(*, user, card_id, rating, client_review_id, revision, review_duration_ms) -> ReviewResult:
    card = owned_get(Card.objects.select_for_update(), user=user, pk=card_id)
    earlier = ReviewLog.objects.filter(owner=user, client_review_id=client_review_id).first()
    if earlier is not None:
        if earlier.card_id != card.pk:
            raise ValidationError({"client_review_id": ["This id was already used for a review of another card."]})
        return ReviewResult(card=_as_left_by(card, earlier), review=earlier, replayed=True)
    if revision != card.revision:
        raise StaleRevision(card)
    now = timezone.now()
    state_before = card.state
    grade(scheduler_for(user.pk), card, rating=rating, at=now, duration_ms=review_duration_ms)
    card.revision += 1
    card.save()
    review = ReviewLog.objects.create(
        owner=user, card=card, card_ref=card.pk, rating=rating, reviewed_at=now, review_duration_ms=review_duration_ms,
        state_before=state_before, client_review_id=client_review_id, card_after=_schedule_of(card))
    return ReviewResult(card=card, review=review, replayed=False)


def _schedule_of(card: Card) -> dict:
    values = {field: getattr(card, field) for field in SCHEDULE_FIELDS}
    return {field: value.isoformat() if isinstance(value, datetime) else value for field, value in values.items()}


def _as_left_by(card: Card, review: ReviewLog) -> Card:
    """The card as `review` left it (later reviews may have moved it on since)."""
    for field, value in review.card_after.items():
        is_time = field in ("due", "last_review") and value is not None
        setattr(card, field, datetime.fromisoformat(value) if is_time else value)
    return card


def scheduler_optimize_request(*, user) -> None:
    """Queues the optimizer for the user's reviews (it runs once the transaction commits).
    Once per OPTIMIZE_COOLDOWN_S: asked again sooner, a 429 whose Retry-After says when."""
    count = ReviewLog.objects.filter(owner=user).count()
    if count < OPTIMIZE_MIN_REVIEWS:
        raise ValidationError({"non_field_errors": [
            f"Optimizing needs at least {OPTIMIZE_MIN_REVIEWS} reviews; you have {count}."]})
    now = timezone.now().timestamp()
    key = f"cards:optimize:{user.pk}"
    if not cache.add(key, now, timeout=OPTIMIZE_COOLDOWN_S):
        wait = max(1, int((cache.get(key) or now) + OPTIMIZE_COOLDOWN_S - now + 0.999))
        raise Throttled(wait=wait, detail=f"Your scheduler was optimized less than an hour ago; try again in "
                        f"{wait} seconds.")
    transaction.on_commit(lambda: _enqueue_optimize(user.pk))


def _enqueue_optimize(user_id: int) -> None:
    from .tasks import scheduler_optimize_task

    scheduler_optimize_task.delay(user_id)


def scheduler_optimize(*, user_id: int) -> SchedulerParameters | None:
    """Fits FSRS parameters to every review the user made and keeps them for their next
    grades. Running it again only refits; with too few reviews it changes nothing."""
    import fsrs  # the optimizer needs torch: only the worker imports it

    rows = list(ReviewLog.objects.filter(owner_id=user_id).order_by("reviewed_at", "id")
                .values_list("card_ref", "rating", "reviewed_at", "review_duration_ms"))
    if len(rows) < OPTIMIZE_MIN_REVIEWS:
        return None
    logs = [fsrs.ReviewLog(card_id=card_id, rating=fsrs.Rating(rating), review_datetime=at.astimezone(UTC),
                           review_duration=duration) for card_id, rating, at, duration in rows]
    parameters = fsrs.Optimizer(logs).compute_optimal_parameters()
    saved, _ = SchedulerParameters.objects.update_or_create(owner_id=user_id, defaults={
        "parameters": [float(value) for value in parameters], "optimized_at": timezone.now(),
        "reviews_used": len(rows)})
    return saved


def deck_import(*, user, uploaded) -> Deck:
    """A new deck holding the notes of an Anki .apkg upload, all or none of them; a refused
    file is a 400 naming the reason."""
    filename = plain_filename(uploaded.name or "deck.apkg", field="file")
    if (uploaded.size or 0) > APKG_MAX_BYTES:
        raise ValidationError({"file": [f"{filename} is larger than {APKG_MAX_BYTES} bytes."]})
    with tempfile.TemporaryDirectory(prefix="apkg-upload-") as workdir:
        path = Path(workdir) / "upload.apkg"  # our own name: the client's names nothing on disk
        with path.open("wb") as sink:
            for chunk in uploaded.chunks():
                sink.write(chunk)
        try:
            parsed = read_apkg(path, filename=filename)
        except AnkiError as exc:
            raise ValidationError({"file": [str(exc)]}) from None
    return _store_import(user=user, name=parsed.name, notes=parsed.notes)


@transaction.atomic
def _store_import(*, user, name: str, notes) -> Deck:
    from .generation import source_key

    deck = Deck.objects.create(owner=user, name=name, description="Imported from Anki")
    seen: set[str] = set()
    cards = []
    for note in notes:
        key = source_key("anki", note.guid) if note.guid else ""
        if key and key in seen:
            continue
        seen.add(key)
        cards.append(Card(owner=user, deck=deck, kind=note.kind, front=note.front, back=note.back, source_key=key,
                          source={"kind": "anki", "ids": {"guid": note.guid}}))
    Card.objects.bulk_create(cards, batch_size=1000)
    return deck
