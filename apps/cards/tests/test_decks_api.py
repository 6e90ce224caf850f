"""Decks and cards through the REST API: made and edited by hand (basic and cloze), counted,
due at once when new; review statistics count the user's own reviews only."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from django.utils import timezone

from apps.cards.models import Card

from .factories import deck

pytestmark = pytest.mark.django_db
DECKS = "/api/v1/decks/"


def test_a_deck_made_by_hand_holds_its_cards_due_at_once(make_user, api_client_for):
    # given
    client = api_client_for(make_user())
    # when a deck is made with a basic and a cloze card
    made = client.post(DECKS, {"name": "Chemistry", "description": "elements"}, format="json").json()
    basic = client.post(f"{DECKS}{made['id']}/cards/", {"front": "Symbol of gold?", "back": "Au"}, format="json")
    cloze = client.post(f"{DECKS}{made['id']}/cards/",
                        {"kind": "cloze", "front": "{{c1::Helium}} is a noble gas."}, format="json")
    listed = client.get(DECKS).json()["results"]
    # then
    assert basic.status_code == cloze.status_code == 201
    assert basic.json()["source"] == {"kind": "manual", "ids": {}}
    assert [(d["name"], d["card_count"], d["due_count"]) for d in listed] == [("Chemistry", 2, 2)]
    cards = client.get(f"{DECKS}{made['id']}/cards/").json()["results"]
    assert [(c["kind"], c["front"], c["revision"]) for c in cards] == [
        ("basic", "Symbol of gold?", 0), ("cloze", "{{c1::Helium}} is a noble gas.", 0)]


def test_a_cloze_card_without_a_deletion_is_refused_naming_the_field(make_user, api_client_for):
    # given
    user = make_user()
    made = deck(user)
    # when
    response = api_client_for(user).post(f"{DECKS}{made.pk}/cards/", {"kind": "cloze", "front": "No gap here"},
                                         format="json")
    # then
    assert response.status_code == 400
    assert "{{c1::answer}}" in response.json()["error"]["fields"]["front"][0]


def test_editing_a_card_keeps_its_schedule_and_deleting_a_deck_removes_its_cards(make_user, api_client_for):
    # given a graded card
    user = make_user()
    client = api_client_for(user)
    made = deck(user, cards=(("Symbol of iron?", "Fe"),))
    card = Card.objects.get(deck=made)
    graded = client.post(f"/api/v1/cards/{card.pk}/review/",
                         {"rating": 4, "client_review_id": str(uuid4()), "revision": 0}, format="json").json()
    # when its back is corrected, then its deck deleted
    edited = client.patch(f"/api/v1/cards/{card.pk}/", {"back": "Fe (ferrum)"}, format="json").json()
    deleted = client.delete(f"{DECKS}{made.pk}/")
    # then
    assert edited["back"] == "Fe (ferrum)"
    assert (edited["due"], edited["revision"]) == (graded["card"]["due"], 1)
    assert deleted.status_code == 204
    assert client.get(f"/api/v1/cards/{card.pk}/").status_code == 404


def test_stats_count_reviews_per_day_retention_of_due_reviews_and_the_forecast(make_user, api_client_for):
    # given a card in review graded "good" and then "again", a new card, and another user's reviews
    user, other = make_user(), make_user()
    client = api_client_for(user)
    made = deck(user, cards=(("Q1", "A1"), ("Q2", "A2")))
    first = Card.objects.filter(deck=made).first()
    Card.objects.filter(pk=first.pk).update(state=Card.State.REVIEW, stability=5.0, difficulty=5.0,
                                            last_review=timezone.now() - timedelta(days=5))
    for revision, rating in enumerate((3, 1)):
        client.post(f"/api/v1/cards/{first.pk}/review/",
                    {"rating": rating, "client_review_id": str(uuid4()), "revision": revision}, format="json")
    theirs = Card.objects.get(deck=deck(other, cards=(("X", "Y"),)))
    api_client_for(other).post(f"/api/v1/cards/{theirs.pk}/review/",
                               {"rating": 1, "client_review_id": str(uuid4()), "revision": 0}, format="json")
    # when
    stats = client.get("/api/v1/review/stats/").json()
    # then both reviews were of a card in review: one recalled, one forgotten
    assert stats["retention"] == 0.5
    assert stats["reviews_per_day"][-1] == {"date": timezone.localdate().isoformat(), "count": 2}
    assert sum(day["count"] for day in stats["reviews_per_day"]) == 2
    assert len(stats["reviews_per_day"]) == len(stats["forecast"]) == 30
    # the new card is due now (counted today); the relearning card within minutes
    assert stats["due_now"] == 1
    assert stats["due_today"] >= 1
    assert stats["forecast"][0]["date"] == timezone.localdate().isoformat()
    assert stats["forecast"][0]["due"] >= 1
    assert sum(day["due"] for day in stats["forecast"]) == 2
