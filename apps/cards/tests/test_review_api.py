"""Grading cards: FSRS moves the due date by the grade; a grade is counted once however
often it is sent; a grade made on an older revision (another tab) is a 409 with the card as
it is now; a card deleted meanwhile is a 404 and nothing is written."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from uuid import uuid4

import pytest
from django.db import connection
from django.utils import timezone

from apps.cards.models import Card, ReviewLog
from apps.cards.services import StaleRevision, card_review

from .factories import deck

pytestmark = pytest.mark.django_db


def _grade(client, card_id: int, rating: int, *, revision: int, review_id=None):
    body = {"rating": rating, "client_review_id": str(review_id or uuid4()), "revision": revision}
    return client.post(f"/api/v1/cards/{card_id}/review/", body, format="json")


def _card(user, front="Capital of France?", back="Paris") -> Card:
    return Card.objects.get(deck=deck(user, cards=((front, back),)))


def test_a_good_grade_schedules_the_card_later_than_an_again_and_easy_later_still(make_user, api_client_for):
    # given three new cards
    user = make_user()
    client = api_client_for(user)
    cards = [_card(user, front=f"Q{i}") for i in range(3)]
    # when each is graded once: again, good, easy
    answers = [_grade(client, card.pk, rating, revision=0).json() for card, rating in zip(cards, (1, 3, 4), strict=True)]
    # then the due dates are in the grades' order, easy days away, and each card moved on
    due = [datetime.fromisoformat(answer["card"]["due"]) for answer in answers]
    assert due[0] < due[1] < due[2]
    assert due[2] - timezone.now() > timedelta(days=1)
    assert [answer["card"]["state"] for answer in answers] == [Card.State.LEARNING, Card.State.LEARNING,
                                                                Card.State.REVIEW]
    assert all(answer["card"]["revision"] == 1 and not answer["replayed"] for answer in answers)
    assert ReviewLog.objects.filter(owner=user).count() == 3


def test_the_due_queue_offers_each_grades_next_due_date_and_drops_a_graded_card(make_user, api_client_for):
    # given a deck with two new cards
    user = make_user()
    client = api_client_for(user)
    made = deck(user, cards=(("Q1", "A1"), ("Q2", "A2")))
    first = Card.objects.filter(deck=made).first()
    # when the queue is read, the first card graded easy, and the queue read again
    before = client.get(f"/api/v1/decks/{made.pk}/due/").json()["results"]
    _grade(client, first.pk, 4, revision=0)
    after = client.get("/api/v1/review/due/").json()["results"]
    # then
    nexts = {name: datetime.fromisoformat(when) for name, when in before[0]["next_due"].items()}
    assert [card["front"] for card in before] == ["Q1", "Q2"]
    assert nexts["again"] < nexts["hard"] < nexts["good"] < nexts["easy"]
    assert [card["front"] for card in after] == ["Q2"]


def test_a_retried_grade_answers_the_first_result_and_counts_once(make_user, api_client_for):
    # given a card graded once
    user = make_user()
    client = api_client_for(user)
    card = _card(user)
    review_id = uuid4()
    first = _grade(client, card.pk, 3, revision=0, review_id=review_id)
    # when the same grade is sent again (a retry after a lost answer)
    again = _grade(client, card.pk, 3, revision=0, review_id=review_id)
    # then it answers the first result without grading again
    assert first.status_code == again.status_code == 200
    assert again.json()["replayed"] is True
    assert again.json()["card"] == first.json()["card"]
    assert again.json()["review"] == first.json()["review"]
    assert ReviewLog.objects.filter(card=card).count() == 1
    assert Card.objects.get(pk=card.pk).revision == 1


def test_a_grade_from_a_second_tab_on_an_old_revision_is_a_conflict_with_the_current_card(make_user, api_client_for):
    # given a card both tabs show at revision 0, graded in the first tab
    user = make_user()
    first_tab, second_tab = api_client_for(user), api_client_for(user)
    card = _card(user)
    graded = _grade(first_tab, card.pk, 3, revision=0)
    # when the second tab grades it too
    stale = _grade(second_tab, card.pk, 1, revision=0)
    # then the second grade is refused with the card as the first left it
    assert graded.status_code == 200
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale_revision"
    assert stale.json()["card"] == graded.json()["card"]
    assert list(ReviewLog.objects.filter(card=card).values_list("rating", flat=True)) == [3]


def test_grading_a_card_deleted_meanwhile_is_not_found_and_writes_nothing(make_user, api_client_for):
    # given a card deleted in another tab
    user = make_user()
    client = api_client_for(user)
    card = _card(user)
    assert client.delete(f"/api/v1/cards/{card.pk}/").status_code == 204
    # when the first tab grades it
    response = _grade(client, card.pk, 3, revision=0)
    # then
    assert response.status_code == 404
    assert not ReviewLog.objects.filter(owner=user).exists()


@pytest.mark.django_db(transaction=True)
def test_two_tabs_grading_at_the_same_moment_count_one_review(make_user):
    # given a card, and two grades of revision 0 sent at once
    user = make_user()
    card = _card(user)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def grade(rating: int) -> None:
        start.wait()
        try:
            card_review(user=user, card_id=card.pk, rating=rating, client_review_id=uuid4(), revision=0)
            outcomes.append("graded")
        except StaleRevision:
            outcomes.append("stale")
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=grade, args=(rating,)) for rating in (3, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then one counted, the other refused; the card moved on once
    assert sorted(outcomes) == ["graded", "stale"]
    assert ReviewLog.objects.filter(card=card).count() == 1
    assert Card.objects.get(pk=card.pk).revision == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_grade_sent_twice_at_once_counts_once(make_user):
    # given one grade sent from two connections at the same moment (a retry racing the first)
    user = make_user()
    card = _card(user)
    review_id = uuid4()
    start = threading.Barrier(2)
    results = []

    def grade() -> None:
        start.wait()
        try:
            results.append(card_review(user=user, card_id=card.pk, rating=3, client_review_id=review_id, revision=0))
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=grade) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then both answer the one review
    assert sorted(result.replayed for result in results) == [False, True]
    assert {result.review.pk for result in results} == set(ReviewLog.objects.filter(card=card).values_list("pk", flat=True))
    assert Card.objects.get(pk=card.pk).revision == 1


def test_a_grade_gives_the_due_date_its_button_showed_for_a_card_in_review(make_user, api_client_for):
    # given cards long in review, due now (their next intervals are months, spread by fuzz)
    user = make_user()
    client = api_client_for(user)
    made = deck(user, cards=tuple((f"Q{i}", f"A{i}") for i in range(6)))
    now = timezone.now()
    Card.objects.filter(deck=made).update(state=Card.State.REVIEW, step=None, stability=120.0, difficulty=5.0,
                                          due=now - timedelta(days=1), last_review=now - timedelta(days=120))
    shown = {card["id"]: datetime.fromisoformat(card["next_due"]["good"])
             for card in client.get(f"/api/v1/decks/{made.pk}/due/").json()["results"]}
    # when each is graded good
    given = {card_id: datetime.fromisoformat(_grade(client, card_id, 3, revision=0).json()["card"]["due"])
             for card_id in shown}
    # then each lands on the day its button said (the two reads are moments apart)
    assert all(abs(given[card_id] - shown[card_id]) < timedelta(hours=1) for card_id in shown), (shown, given)


def test_deleting_a_reviewed_card_keeps_its_reviews_in_the_statistics(make_user, api_client_for):
    # given a card graded once
    user = make_user()
    client = api_client_for(user)
    card = _card(user)
    _grade(client, card.pk, 3, revision=0)
    before = client.get("/api/v1/review/stats/").json()
    # when the card is deleted
    assert client.delete(f"/api/v1/cards/{card.pk}/").status_code == 204
    # then today's review still counts, and the log remembers which card it was
    after = client.get("/api/v1/review/stats/").json()
    assert after["reviews_per_day"] == before["reviews_per_day"]
    assert before["reviews_per_day"][-1]["count"] == 1
    assert list(ReviewLog.objects.filter(owner=user).values_list("card_id", "card_ref")) == [(None, card.pk)]
