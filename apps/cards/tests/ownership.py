"""Ownership-matrix cases for the spaced-repetition routes: decks, cards and reviews are
their owner's alone (never shared), so every other user, team members included, gets 404."""

from uuid import uuid4

from apps.core.ownership import Case


def _deck(user):
    from apps.cards.services import deck_create

    deck = deck_create(user=user, name="owner-secret-deck")
    return {"deck_id": deck.pk}, "owner-secret-deck"


def _card(user):
    from apps.cards.services import card_create, deck_create

    deck = deck_create(user=user, name="a deck")
    card = card_create(user=user, deck_id=deck.pk, front="owner-secret-front", back="answer")
    return {"card_id": card.pk}, "owner-secret-front"


def _deck_with_conversation(user):
    from apps.cards.tests.factories import answered_conversation

    answered_conversation(user, [("What is owner-secret-question?", "An answer.")])
    return _deck(user)


def _owners_conversation(ids):
    from apps.cards.models import Deck
    from apps.chat.models import Conversation

    owner_id = Deck.objects.get(pk=ids["deck_id"]).owner_id
    return {"conversation_id": Conversation.objects.filter(owner_id=owner_id).latest("id").pk}


def _review(ids):
    return {"rating": 3, "client_review_id": str(uuid4()), "revision": 0}


OWNED_ROUTES = {
    "api-v1:decks": Case(setup=_deck, reach="private"),
    "api-v1:deck-detail": Case(setup=_deck, methods={"get": None, "patch": {"name": "renamed"}, "delete": None},
                               reach="private"),
    "api-v1:deck-cards": Case(setup=_deck, methods={"get": None, "post": {"front": "Q", "back": "A"}},
                              reach="private"),
    "api-v1:deck-due": Case(setup=_deck, reach="private"),
    "api-v1:deck-generate": Case(setup=_deck_with_conversation, methods={"post": _owners_conversation},
                                 reach="private"),
    "api-v1:deck-export": Case(setup=_deck, reach="private"),
    "api-v1:card-detail": Case(setup=_card, methods={"get": None, "patch": {"back": "another"}, "delete": None},
                               reach="private"),
    "api-v1:card-review": Case(setup=_card, methods={"post": _review}, reach="private"),
    "api-v1:review-due": Case(setup=_card, reach="private"),
}

PUBLIC_ROUTES = {
    "api-v1:decks-import": "takes a file and makes a new deck of the caller's; names no object",
    "api-v1:review-stats": "counts the caller's own cards and reviews only; names no object (test_stats_api.py)",
    "api-v1:review-optimize": "queues the optimizer for the caller's own reviews; names no object",
}
