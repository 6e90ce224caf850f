"""Spaced-repetition API: decks and cards (by hand, generated from a document's knowledge
graph or a conversation, imported from Anki), the due queue, grading a card, statistics and
the scheduler's optimization. Decks and cards are their owner's alone."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import error_body
from apps.core.pagination import paginate, paginated_schema
from apps.core.uploads import request_content_length

from . import generation, selectors, services
from .anki_import import APKG_MAX_BYTES, MAX_FIELD_CHARS
from .models import Card
from .scheduling import preview, scheduler_for

GRADES = ("again", "hard", "good", "easy")  # fsrs.Rating 1-4
# Multipart framing around the file: a request this much over the cap is refused unread.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class DeckOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    card_count = serializers.IntegerField()
    due_count = serializers.IntegerField(help_text="cards due now")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CardOutput(serializers.Serializer):
    id = serializers.IntegerField()
    deck_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Card.Kind.choices)
    front = serializers.CharField()
    back = serializers.CharField()
    source = serializers.JSONField(help_text='{"kind": "manual"|"graph"|"conversation"|"anki", "ids": {...}}; '
                                   'a graph card also has "sentence", the sentence the fact came from')
    state = serializers.ChoiceField(choices=Card.State.choices, help_text="1 learning, 2 review, 3 relearning")
    step = serializers.IntegerField(allow_null=True)
    stability = serializers.FloatField(allow_null=True)
    difficulty = serializers.FloatField(allow_null=True)
    due = serializers.DateTimeField()
    last_review = serializers.DateTimeField(allow_null=True)
    revision = serializers.IntegerField(help_text="send it back with a review; bumped by every review")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class NextDueOutput(serializers.Serializer):
    again = serializers.DateTimeField()
    hard = serializers.DateTimeField()
    good = serializers.DateTimeField()
    easy = serializers.DateTimeField()


class DueCardOutput(CardOutput):
    """A due card with the due date each grade would give it now (context: `scheduler`, `now`)."""

    next_due = serializers.SerializerMethodField(help_text="the due date each grade would give the card now")

    @extend_schema_field(NextDueOutput)
    def get_next_due(self, card: Card) -> dict:
        due = preview(self.context["scheduler"], card, at=self.context["now"])
        return NextDueOutput({name: due[str(rating)] for rating, name in enumerate(GRADES, start=1)}).data


def _side(**options) -> serializers.CharField:
    return serializers.CharField(max_length=MAX_FIELD_CHARS, trim_whitespace=False, **options)


class DeckListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        description = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

        class Meta:
            ref_name = "DeckCreate"

    @extend_schema(operation_id="decks_list", responses=paginated_schema(DeckOutput, "Deck"))
    def get(self, request):
        return paginate(request, self, selectors.deck_list(user=request.user), DeckOutput)

    @extend_schema(operation_id="decks_create", request=InputSerializer, responses={201: DeckOutput})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deck = services.deck_create(user=request.user, **data.validated_data)
        return Response(DeckOutput(selectors.deck_get(user=request.user, deck_id=deck.pk)).data,
                        status=status.HTTP_201_CREATED)


class DeckDetailApi(APIView):
    class UpdateSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200, required=False)
        description = serializers.CharField(required=False, allow_blank=True, max_length=5000)

        class Meta:
            ref_name = "DeckUpdate"

    @extend_schema(operation_id="decks_retrieve", responses=DeckOutput)
    def get(self, request, deck_id: int):
        return Response(DeckOutput(selectors.deck_get(user=request.user, deck_id=deck_id)).data)

    @extend_schema(operation_id="decks_update", request=UpdateSerializer, responses=DeckOutput)
    def patch(self, request, deck_id: int):
        selectors.deck_get(user=request.user, deck_id=deck_id)  # 404 before 400
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.deck_update(user=request.user, deck_id=deck_id, **data.validated_data)
        return Response(DeckOutput(selectors.deck_get(user=request.user, deck_id=deck_id)).data)

    @extend_schema(operation_id="decks_delete", responses={204: None})
    def delete(self, request, deck_id: int):
        services.deck_delete(user=request.user, deck_id=deck_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CardListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=Card.Kind.choices, required=False, default=Card.Kind.BASIC)
        front = _side(help_text="for a cloze card, the text with deletions such as {{c1::answer}}")
        back = _side(required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "CardCreate"

    @extend_schema(operation_id="deck_cards_list", responses=paginated_schema(CardOutput, "Card"))
    def get(self, request, deck_id: int):
        return paginate(request, self, selectors.card_list(user=request.user, deck_id=deck_id), CardOutput)

    @extend_schema(operation_id="deck_cards_create", request=InputSerializer, responses={201: CardOutput})
    def post(self, request, deck_id: int):
        selectors.deck_get(user=request.user, deck_id=deck_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        card = services.card_create(user=request.user, deck_id=deck_id, **data.validated_data)
        return Response(CardOutput(card).data, status=status.HTTP_201_CREATED)


class CardDetailApi(APIView):
    class UpdateSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=Card.Kind.choices, required=False)
        front = _side(required=False)
        back = _side(required=False, allow_blank=True)

        class Meta:
            ref_name = "CardUpdate"

    @extend_schema(operation_id="cards_retrieve", responses=CardOutput)
    def get(self, request, card_id: int):
        return Response(CardOutput(selectors.card_get(user=request.user, card_id=card_id)).data)

    @extend_schema(operation_id="cards_update", request=UpdateSerializer, responses=CardOutput)
    def patch(self, request, card_id: int):
        selectors.card_get(user=request.user, card_id=card_id)
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(CardOutput(services.card_update(user=request.user, card_id=card_id,
                                                        **data.validated_data)).data)

    @extend_schema(operation_id="cards_delete", responses={204: None})
    def delete(self, request, card_id: int):
        services.card_delete(user=request.user, card_id=card_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CardReviewApi(APIView):
    class InputSerializer(serializers.Serializer):
        rating = serializers.ChoiceField(choices=[1, 2, 3, 4], help_text="1 again, 2 hard, 3 good, 4 easy")
        client_review_id = serializers.UUIDField(
            help_text="made by the client once per grade; sending the same grade again answers the first result")
        revision = serializers.IntegerField(min_value=0, help_text="the card's revision the grade was made on")
        review_duration_ms = serializers.IntegerField(required=False, allow_null=True, min_value=0,
                                                      max_value=24 * 3600 * 1000)

        class Meta:
            ref_name = "CardReview"

    class OutputSerializer(serializers.Serializer):
        class ReviewSerializer(serializers.Serializer):
            id = serializers.IntegerField()
            rating = serializers.IntegerField()
            reviewed_at = serializers.DateTimeField()
            client_review_id = serializers.UUIDField()

            class Meta:
                ref_name = "CardReviewLog"

        card = CardOutput()
        review = ReviewSerializer()
        replayed = serializers.BooleanField(help_text="true: this grade was already counted; nothing changed")

        class Meta:
            ref_name = "CardReviewResult"

    class ConflictSerializer(serializers.Serializer):
        error = serializers.DictField()
        card = CardOutput(help_text="the card as it is now")

        class Meta:
            ref_name = "CardReviewConflict"

    @extend_schema(operation_id="cards_review", request=InputSerializer,
                   responses={200: OutputSerializer, 409: ConflictSerializer})
    def post(self, request, card_id: int):
        selectors.card_get(user=request.user, card_id=card_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = services.card_review(user=request.user, card_id=card_id, **data.validated_data)
        except services.StaleRevision as exc:
            body = error_body("stale_revision", "This card was reviewed in another tab or device; it has been "
                              "reloaded.") | {"card": CardOutput(exc.card).data}
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(self.OutputSerializer(result).data)


def _due_response(request, cards) -> Response:
    context = {"scheduler": scheduler_for(request.user.pk), "now": timezone.now()}
    return Response({"results": DueCardOutput(cards, many=True, context=context).data})


DUE_LIMIT = OpenApiParameter("limit", int, description=f"at most this many cards (default 50, at most {selectors.MAX_DUE_LIMIT})")


class DueOutput(serializers.Serializer):
    results = DueCardOutput(many=True)

    class Meta:
        ref_name = "DueCards"


def _limit(request) -> int:
    data = serializers.IntegerField(min_value=1, max_value=selectors.MAX_DUE_LIMIT)
    raw = request.query_params.get("limit")
    try:
        return 50 if raw in (None, "") else data.run_validation(raw)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({"limit": exc.detail}) from None


class DeckDueApi(APIView):
    @extend_schema(operation_id="deck_due", parameters=[DUE_LIMIT], responses=DueOutput)
    def get(self, request, deck_id: int):
        selectors.deck_get(user=request.user, deck_id=deck_id)  # 404 before 400
        return _due_response(request, list(selectors.due_cards(user=request.user, deck_id=deck_id,
                                                                limit=_limit(request))))


class ReviewDueApi(APIView):
    @extend_schema(operation_id="review_due", parameters=[DUE_LIMIT], responses=DueOutput)
    def get(self, request):
        return _due_response(request, list(selectors.due_cards(user=request.user, limit=_limit(request))))


class ReviewStatsApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class DaySerializer(serializers.Serializer):
            date = serializers.DateField()
            count = serializers.IntegerField()

            class Meta:
                ref_name = "ReviewDayCount"

        class ForecastSerializer(serializers.Serializer):
            date = serializers.DateField()
            due = serializers.IntegerField(source="count")

            class Meta:
                ref_name = "ReviewForecastDay"

        due_now = serializers.IntegerField()
        due_today = serializers.IntegerField()
        reviews_per_day = DaySerializer(many=True, help_text="the last 30 days, today last")
        retention = serializers.FloatField(
            allow_null=True, help_text="share of the last 30 days' reviews of cards in review graded hard or "
            "better; null before there is any")
        forecast = ForecastSerializer(many=True, help_text="cards due on each of the next 30 days, today first "
                                      "(overdue cards count today)")

        class Meta:
            ref_name = "ReviewStats"

    @extend_schema(operation_id="review_stats", responses=OutputSerializer)
    def get(self, request):
        return Response(self.OutputSerializer(selectors.review_stats(user=request.user)).data)


class ReviewOptimizeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        queued = serializers.BooleanField()

        class Meta:
            ref_name = "ReviewOptimize"

    @extend_schema(operation_id="review_optimize", request=None, responses={202: OutputSerializer, 429: OpenApiResponse(
        description="an optimization was asked for within the last hour; `Retry-After` says when another may be")})
    def post(self, request):
        services.scheduler_optimize_request(user=request.user)
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)


class DeckGenerateApi(APIView):
    class InputSerializer(serializers.Serializer):
        document_id = serializers.IntegerField(required=False, min_value=1,
                                               help_text="one card per fact of this document's knowledge graph")
        conversation_id = serializers.IntegerField(required=False, min_value=1,
                                                   help_text="one card per answered question of this conversation")

        class Meta:
            ref_name = "DeckGenerate"

        def validate(self, attrs):
            if len(attrs) != 1:
                raise serializers.ValidationError("Give either document_id or conversation_id.")
            return attrs

    class OutputSerializer(serializers.Serializer):
        created = serializers.IntegerField()
        skipped = serializers.IntegerField(help_text="already in the deck from an earlier generation")

        class Meta:
            ref_name = "DeckGenerateResult"

    @extend_schema(operation_id="decks_generate", request=InputSerializer, responses=OutputSerializer)
    def post(self, request, deck_id: int):
        selectors.deck_get(user=request.user, deck_id=deck_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "document_id" in data.validated_data:
            result = generation.deck_generate_from_document(user=request.user, deck_id=deck_id,
                                                            **data.validated_data)
        else:
            result = generation.deck_generate_from_conversation(user=request.user, deck_id=deck_id,
                                                                **data.validated_data)
        return Response(self.OutputSerializer(result).data)


class DeckImportApi(APIView):
    parser_classes = [MultiPartParser]

    class UploadSerializer(serializers.Serializer):
        file = serializers.FileField(help_text="an Anki .apkg (older format: collection.anki2 or .anki21)")

        class Meta:
            ref_name = "DeckImport"

    @extend_schema(operation_id="decks_import", request={"multipart/form-data": UploadSerializer},
                   responses={201: DeckOutput})
    def post(self, request):
        if (request_content_length(request) or 0) - MULTIPART_OVERHEAD_BYTES > APKG_MAX_BYTES:
            raise serializers.ValidationError({"file": [f"The file is larger than {APKG_MAX_BYTES} bytes."]})
        data = self.UploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deck = services.deck_import(user=request.user, uploaded=data.validated_data["file"])
        return Response(DeckOutput(selectors.deck_get(user=request.user, deck_id=deck.pk)).data,
                        status=status.HTTP_201_CREATED)


class DeckExportApi(APIView):
    @extend_schema(operation_id="decks_export", responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, deck_id: int):
        filename, content = selectors.deck_export(user=request.user, deck_id=deck_id)
        response = HttpResponse(content, content_type="application/octet-stream")
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
        response["X-Content-Type-Options"] = "nosniff"
        return response
