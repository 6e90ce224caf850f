"""Arena REST API: start a battle in a conversation (its answers stream over the
conversation's socket, `/ws/chat/<id>/`), list and read battles, vote once (which reveals the
models), the leaderboard of the user's versions, and exporting votes as preference pairs."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.chat.services import MAX_MESSAGE_CHARS
from apps.core.pagination import paginate, paginated_schema

from . import services
from .models import Battle, BattleReply
from .realtime import battle_payload
from .selectors import battle_get, battle_list, leaderboard


class BattleModelSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="the model version; null for a remote model or once the version was deleted")
    name = serializers.CharField()

    class Meta:
        ref_name = "ArenaBattleModel"


class BattleSideSerializer(serializers.Serializer):
    side = serializers.ChoiceField(choices=BattleReply.Side.choices)
    status = serializers.ChoiceField(choices=BattleReply.Status.choices)
    content = serializers.CharField()
    error = serializers.CharField()
    model = BattleModelSerializer(allow_null=True, help_text="hidden (null) until the vote")

    class Meta:
        ref_name = "ArenaBattleSide"


class BattleOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    conversation_id = serializers.IntegerField()
    content = serializers.CharField(help_text="the question both models answered")
    vote = serializers.ChoiceField(choices=Battle.Vote.choices, allow_null=True)
    voted_at = serializers.DateTimeField(allow_null=True)
    sides = BattleSideSerializer(many=True)
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "ArenaBattle"

    def to_representation(self, battle):
        return super().to_representation(battle_payload(battle, list(battle.replies.all())))


class RemoteContestantSerializer(serializers.Serializer):
    endpoint_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="one of your endpoints")
    model = serializers.CharField(max_length=200, help_text="a model id the endpoint lists")

    class Meta:
        ref_name = "ArenaRemoteContestant"


class BattleListCreateApi(APIView):
    # A spent chat quota answers 429 with Retry-After (apps.chat.quotas), documented in the schema.
    answers_too_many_requests = True

    class InputSerializer(serializers.Serializer):
        conversation_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
        content = serializers.CharField(max_length=MAX_MESSAGE_CHARS, trim_whitespace=False)
        model_version_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False, default=list,
            max_length=2, help_text="ready model versions you can read; with remote_models, two contestants")
        remote_models = RemoteContestantSerializer(
            many=True, required=False, default=list, max_length=2,
            help_text="models of your remote endpoints; with model_version_ids, two contestants")

        class Meta:
            ref_name = "ArenaBattleCreate"

    class QuerySerializer(serializers.Serializer):
        conversation_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)

        class Meta:
            ref_name = "ArenaBattleQuery"

    @extend_schema(
        operation_id="arena_battles_list",
        parameters=[OpenApiParameter("conversation_id", int, description="only this conversation's")],
        responses=paginated_schema(BattleOutputSerializer, "ArenaBattle"),
    )
    def get(self, request):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        queryset = battle_list(user=request.user, **query.validated_data)
        return paginate(request, self, queryset, BattleOutputSerializer)

    @extend_schema(operation_id="arena_battles_create", request=InputSerializer,
                   responses={202: BattleOutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        battle = services.battle_create(user=request.user, **serializer.validated_data)
        detail = battle_get(user=request.user, battle_id=battle.pk)
        return Response(BattleOutputSerializer(detail).data, status=status.HTTP_202_ACCEPTED)


class BattleDetailApi(APIView):
    @extend_schema(operation_id="arena_battles_retrieve", responses=BattleOutputSerializer)
    def get(self, request, battle_id: int):
        return Response(BattleOutputSerializer(battle_get(user=request.user, battle_id=battle_id)).data)


class BattleVoteApi(APIView):
    class InputSerializer(serializers.Serializer):
        vote = serializers.ChoiceField(choices=Battle.Vote.choices)

        class Meta:
            ref_name = "ArenaVote"

    @extend_schema(operation_id="arena_battles_vote", request=InputSerializer,
                   responses=BattleOutputSerializer)
    def post(self, request, battle_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.battle_vote(user=request.user, battle_id=battle_id, **serializer.validated_data)
        return Response(BattleOutputSerializer(battle_get(user=request.user, battle_id=battle_id)).data)


class LeaderboardApi(APIView):
    class OutputSerializer(serializers.Serializer):
        model_version_id = serializers.IntegerField()
        model_name = serializers.CharField()
        rating = serializers.FloatField(help_text="Bradley-Terry, on the Elo scale (1000 = even)")
        ci_low = serializers.FloatField(help_text="95% bootstrap interval")
        ci_high = serializers.FloatField()
        battles = serializers.IntegerField()
        wins = serializers.IntegerField()
        losses = serializers.IntegerField()
        ties = serializers.IntegerField(help_text="ties and both-bad votes")

        class Meta:
            ref_name = "ArenaLeaderboardRow"

    @extend_schema(operation_id="arena_leaderboard", responses=OutputSerializer(many=True))
    def get(self, request):
        rows = [asdict(row) for row in leaderboard(user=request.user)]
        return Response(self.OutputSerializer(rows, many=True).data)


class VotesExportApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200, required=False, allow_blank=True)

        class Meta:
            ref_name = "ArenaVotesExport"

    class OutputSerializer(serializers.Serializer):
        dataset_id = serializers.IntegerField(source="version.dataset_id")
        dataset_version_id = serializers.IntegerField(source="version.pk")
        pairs = serializers.IntegerField()

        class Meta:
            ref_name = "ArenaVotesExported"

    @extend_schema(operation_id="arena_votes_export", request=InputSerializer,
                   responses={201: OutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version, pairs = services.battle_votes_export(user=request.user, **serializer.validated_data)
        return Response(self.OutputSerializer({"version": version, "pairs": pairs}).data,
                        status=status.HTTP_201_CREATED)
