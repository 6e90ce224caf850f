"""Staff administration of decks and cards; reviews and scheduler parameters are written by
grading and the optimizer, so they are view-only."""

from django.contrib import admin

from apps.core.admin import DerivedRowAdmin

from .models import Card, Deck, ReviewLog, SchedulerParameters


@admin.register(Deck)
class DeckAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "created_at"]
    search_fields = ["name", "owner__email"]


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ["id", "deck", "owner", "kind", "state", "due"]
    list_filter = ["kind", "state"]
    list_select_related = ["deck", "owner"]
    search_fields = ["front", "deck__name", "owner__email"]
    readonly_fields = ["source", "source_key", "state", "step", "stability", "difficulty", "due", "last_review",
                       "revision"]


@admin.register(ReviewLog)
class ReviewLogAdmin(DerivedRowAdmin):
    list_display = ["id", "card", "owner", "rating", "reviewed_at"]
    list_select_related = ["card", "owner"]
    search_fields = ["owner__email"]


@admin.register(SchedulerParameters)
class SchedulerParametersAdmin(DerivedRowAdmin):
    list_display = ["owner", "desired_retention", "optimized_at", "reviews_used"]
    search_fields = ["owner__email"]
