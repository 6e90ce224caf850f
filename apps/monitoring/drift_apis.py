"""Drift API: a model version's drift settings (read; change with edit access), the latest
result of each kind, a kind's history, and a check started now."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from . import drift
from .drift import HISTORY_MAX, WINDOW_HOURS_MAX
from .models import DriftKind, DriftResult, DriftSettings


class DriftSettingsOutput(serializers.ModelSerializer):
    # The reference dataset version's dataset, so a form can show the pair it was picked from.
    reference_dataset_id = serializers.IntegerField(source="reference_dataset_version.dataset_id", allow_null=True,
                                                    read_only=True, default=None)

    class Meta:
        model = DriftSettings
        fields = ["model_version_id", "reference_dataset_version_id", "reference_dataset_id", "window_hours",
                  "min_requests", "alpha"]
        ref_name = "DriftSettings"


class DriftResultOutput(serializers.ModelSerializer):
    class Meta:
        model = DriftResult
        fields = ["id", "kind", "window_start", "window_end", "reference_start", "reference_end",
                  "reference_dataset_version_id", "reference_evaluation_id", "statistic", "p_value",
                  "threshold", "drifted", "n_reference", "n_window", "status", "message", "details", "created_at"]
        ref_name = "DriftResult"


class DriftSettingsApi(APIView):
    class InputSerializer(serializers.Serializer):
        # null: the version's first week of traffic is the reference.
        reference_dataset_version_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
        window_hours = serializers.IntegerField(required=False, min_value=1, max_value=WINDOW_HOURS_MAX)
        # Below 10 a two-sample test says next to nothing, whatever its p-value.
        min_requests = serializers.IntegerField(required=False, min_value=10, max_value=100_000)
        alpha = serializers.FloatField(required=False, min_value=0.0001, max_value=0.2)

        class Meta:
            ref_name = "DriftSettingsUpdate"

    @extend_schema(operation_id="model_version_drift_settings", responses={200: DriftSettingsOutput})
    def get(self, request, version_id: int):
        return Response(DriftSettingsOutput(drift.drift_settings_get(user=request.user, version_id=version_id)).data)

    @extend_schema(operation_id="model_version_drift_settings_update", request=InputSerializer,
                   responses={200: DriftSettingsOutput})
    def patch(self, request, version_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = drift.drift_settings_update(user=request.user, version_id=version_id, **data.validated_data)
        return Response(DriftSettingsOutput(updated).data)


class DriftLatestApi(APIView):
    class Output(serializers.Serializer):
        results = serializers.DictField(child=DriftResultOutput(allow_null=True))

        class Meta:
            ref_name = "DriftLatest"

    @extend_schema(operation_id="model_version_drift_latest", responses={200: Output})
    def get(self, request, version_id: int):
        latest = drift.drift_latest_list(user=request.user, version_id=version_id)
        return Response({"results": {kind: DriftResultOutput(result).data if result else None
                                     for kind, result in latest.items()}})


class DriftHistoryApi(APIView):
    class FilterSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=DriftKind.values)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=HISTORY_MAX, default=90)

    @extend_schema(operation_id="model_version_drift_history", responses={200: DriftResultOutput(many=True)},
                   parameters=[OpenApiParameter("kind", str, enum=DriftKind.values, required=True),
                               OpenApiParameter("limit", int)])
    def get(self, request, version_id: int):
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = drift.drift_history(user=request.user, version_id=version_id, **query.validated_data)
        return Response(DriftResultOutput(rows, many=True).data)


class DriftCheckApi(APIView):
    class Output(serializers.Serializer):
        window_end = serializers.DateTimeField()

        class Meta:
            ref_name = "DriftCheck"

    @extend_schema(operation_id="model_version_drift_check", request=None,
                   responses={202: Output, 429: OpenApiResponse(description=(
                       "A check of this version was asked for within the cooldown "
                       "(SLOUGHGPT_DRIFT_CHECK_COOLDOWN_S, 5 minutes by default); `Retry-After` says when "
                       "another may be. The one asked for first still runs."))})
    def post(self, request, version_id: int):
        end = drift.drift_check_request(user=request.user, version_id=version_id)
        return Response(self.Output({"window_end": end}).data, status=status.HTTP_202_ACCEPTED)
