"""Spaced-repetition API routes under /api/v1/: decks, cards, reviews."""

from django.urls import path

from . import apis

urlpatterns = [
    path("decks/", apis.DeckListCreateApi.as_view(), name="decks"),
    path("decks/import/", apis.DeckImportApi.as_view(), name="decks-import"),
    path("decks/<int:deck_id>/", apis.DeckDetailApi.as_view(), name="deck-detail"),
    path("decks/<int:deck_id>/cards/", apis.CardListCreateApi.as_view(), name="deck-cards"),
    path("decks/<int:deck_id>/due/", apis.DeckDueApi.as_view(), name="deck-due"),
    path("decks/<int:deck_id>/generate/", apis.DeckGenerateApi.as_view(), name="deck-generate"),
    path("decks/<int:deck_id>/export/", apis.DeckExportApi.as_view(), name="deck-export"),
    path("cards/<int:card_id>/", apis.CardDetailApi.as_view(), name="card-detail"),
    path("cards/<int:card_id>/review/", apis.CardReviewApi.as_view(), name="card-review"),
    path("review/due/", apis.ReviewDueApi.as_view(), name="review-due"),
    path("review/stats/", apis.ReviewStatsApi.as_view(), name="review-stats"),
    path("review/optimize/", apis.ReviewOptimizeApi.as_view(), name="review-optimize"),
]
