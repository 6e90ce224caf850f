"""Monitoring API: a model version's usage series (or the site's, for staff) from the hourly
and daily rollups, and traces of single generations. Views parse, call one selector and
serialize."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.pagination import paginate, paginated_schema

from .models import InferenceRecord, UsageRollup
from .selectors import SERIES_NAMES, series_set, trace_get, trace_list
from .traces import trace_hops, trace_total_ms

# The range shown when none is asked for: a week of hours, or three months of days.
DEFAULT_SPAN = {"hour": timedelta(days=7), "day": timedelta(days=90)}
SERIES_YEARS = (1970, 9998)  # the years a series' start and end may fall in


# -- series -------------------------------------------------------------------------------------
class SeriesQueryInput(serializers.Serializer):
    series = serializers.CharField(default="requests")
    granularity = serializers.ChoiceField(choices=UsageRollup.Granularity.choices, default="hour")
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        # Dates near either end of the calendar overflow once a span or a bucket is added.
        for field in ("start", "end"):
            when = attrs.get(field)
            if when is not None and not SERIES_YEARS[0] <= when.year <= SERIES_YEARS[1]:
                raise serializers.ValidationError(
                    {field: [f"must be between the years {SERIES_YEARS[0]} and {SERIES_YEARS[1]}"]})
        return attrs


class SeriesOutput(serializers.Serializer):
    granularity = serializers.ChoiceField(choices=UsageRollup.Granularity.choices)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    buckets = serializers.ListField(child=serializers.DateTimeField(), help_text="Each bucket's start (UTC).")
    series = serializers.DictField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        help_text="Per series name, one value per bucket; null where a rate or percentile has no data.")

    class Meta:
        ref_name = "MonitoringSeries"


SERIES_PARAMETERS = [
    OpenApiParameter("series", str, description=(
        f"Comma-separated names: {', '.join(SERIES_NAMES)}, or drift_<kind>_statistic / "
        "drift_<kind>_p_value (kind: prompt, personality, length, refusal, feedback). Default requests.")),
    OpenApiParameter("granularity", str, enum=["hour", "day"], description="Bucket size (default hour)."),
    OpenApiParameter("start", str, description="ISO 8601; default a week (hour) or 90 days (day) before end."),
    OpenApiParameter("end", str, description="ISO 8601; default now. At most 8,784 buckets; start and end "
                     "fall in the years 1970 to 9998."),
]


def _series_response(request, model_version_id: int | None) -> Response:
    query = SeriesQueryInput(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = query.validated_data
    granularity = data["granularity"]
    end = data.get("end") or timezone.now()
    start = data.get("start") or end - DEFAULT_SPAN[granularity]
    names = [name.strip() for name in data["series"].split(",") if name.strip()]
    found = series_set(user=request.user, model_version_id=model_version_id, names=names,
                       granularity=granularity, start=start, end=end)
    buckets = [point[0] for point in next(iter(found.values()))]
    return Response(SeriesOutput({
        "granularity": granularity, "start": start, "end": end, "buckets": buckets,
        "series": {name: [value for _, value in points] for name, points in found.items()},
    }).data)


class ModelVersionMonitoringApi(APIView):
    @extend_schema(operation_id="model_version_monitoring", parameters=SERIES_PARAMETERS,
                   responses=SeriesOutput,
                   description="Usage of a model version you may read, per hour or day. An unknown "
                   "series is a 400 naming `series`.")
    def get(self, request, version_id: int):
        return _series_response(request, version_id)


class SiteMonitoringApi(APIView):
    @extend_schema(operation_id="site_monitoring", parameters=SERIES_PARAMETERS, responses=SeriesOutput,
                   summary="Staff only.", description="The whole site's usage, per hour or day.")
    def get(self, request):
        return _series_response(request, None)


# -- traces -------------------------------------------------------------------------------------
class TraceSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    source = serializers.ChoiceField(choices=InferenceRecord.Source.choices)
    status = serializers.ChoiceField(choices=InferenceRecord.Status.choices)
    error_code = serializers.CharField()
    model_version = serializers.IntegerField(source="model_version_id", allow_null=True)
    message = serializers.IntegerField(source="own_message_id", allow_null=True,
                                       help_text="The chat reply it wrote, if any and if it is yours.")
    received_at = serializers.DateTimeField(allow_null=True)
    prompt_tokens = serializers.IntegerField(allow_null=True)
    completion_tokens = serializers.IntegerField(allow_null=True)
    ttft_ms = serializers.FloatField(allow_null=True)
    tokens_per_s = serializers.FloatField(allow_null=True)
    total_ms = serializers.SerializerMethodField()

    class Meta:
        ref_name = "TraceSummary"

    def get_total_ms(self, record) -> float | None:
        return trace_total_ms(record)


class HopOutput(serializers.Serializer):
    name = serializers.ChoiceField(choices=["web", "queue", "worker", "prefill", "decode", "relay"])
    description = serializers.CharField()
    start = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)
    duration_ms = serializers.FloatField(allow_null=True)

    class Meta:
        ref_name = "TraceHop"


class TraceOutput(TraceSummaryOutput):
    hops = serializers.SerializerMethodField()

    class Meta:
        ref_name = "Trace"

    @extend_schema_field(HopOutput(many=True))
    def get_hops(self, record) -> list[dict]:
        return HopOutput(trace_hops(record), many=True).data


class TraceListApi(APIView):
    class QueryInput(serializers.Serializer):
        model_version = serializers.IntegerField(required=False, min_value=1)
        message = serializers.IntegerField(required=False, min_value=1)

    @extend_schema(
        operation_id="trace_list",
        parameters=[
            OpenApiParameter("model_version", int, description="Recent generations of a model version you may read."),
            OpenApiParameter("message", int, description="The generation that wrote this chat reply."),
        ],
        responses=paginated_schema(TraceSummaryOutput, "TraceSummary"),
        description="Newest first; without a filter, your own generations.")
    def get(self, request):
        query = self.QueryInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        records = trace_list(user=request.user, model_version_id=query.validated_data.get("model_version"),
                             message_id=query.validated_data.get("message"))
        return paginate(request, self, records, TraceSummaryOutput)


class TraceDetailApi(APIView):
    @extend_schema(operation_id="trace_retrieve", responses=TraceOutput,
                   description="A generation's timeline: web -> queue -> worker -> prefill -> decode -> relay. "
                   "Yours, or of a model version you may read.")
    def get(self, request, trace_id: int):
        return Response(TraceOutput(trace_get(user=request.user, record_id=trace_id)).data)
