"""Experiment tracking API: experiments, runs (search, compare), params, batched metrics,
downsampled metric series and artifacts. Views parse, call one service or selector, and
serialize."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import storage as core_storage
from apps.core.access_api import SCOPE_PARAMETER, access_role_field, scope_of
from apps.core.pagination import paginate, paginated_schema
from apps.core.parsers import JSONParser

from . import selectors, services
from .models import RunStatus
from .validation import MAX_KEY_LENGTH, MAX_POINTS_PER_REQUEST

# ---- output shapes -------------------------------------------------------------------------


class ExperimentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    run_count = serializers.IntegerField(default=0)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    access_role = access_role_field()

    class Meta:
        ref_name = "Experiment"


class MetricSummaryOutput(serializers.Serializer):
    count = serializers.IntegerField()
    last = serializers.FloatField(help_text="The value at the highest step.")
    last_step = serializers.IntegerField()
    min = serializers.FloatField()
    max = serializers.FloatField()

    class Meta:
        ref_name = "MetricSummary"


class RunOutput(serializers.Serializer):
    id = serializers.IntegerField()
    experiment = serializers.IntegerField(source="experiment_id")
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=RunStatus.choices)
    params = serializers.DictField(child=serializers.JSONField(), help_text="Typed JSON scalars.")
    tags = serializers.DictField(child=serializers.CharField())
    notes = serializers.CharField()
    metrics = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    access_role = access_role_field()

    class Meta:
        ref_name = "Run"

    @extend_schema_field(serializers.DictField(child=MetricSummaryOutput()))
    def get_metrics(self, run) -> dict:
        return {series.key: selectors.series_summary(series) for series in run.metric_series.all()}


class MetricSeriesSummaryOutput(MetricSummaryOutput):
    key = serializers.CharField()

    class Meta:
        ref_name = "MetricSeriesSummary"


class _SeriesSummaryRows(serializers.BaseSerializer):
    def to_representation(self, series):
        return {"key": series.key, **selectors.series_summary(series)}


class SeriesOutput(serializers.Serializer):
    steps = serializers.ListField(
        child=serializers.IntegerField(), help_text="Last step of each bucket."
    )
    values = serializers.ListField(child=serializers.FloatField(), help_text="Mean of each bucket.")
    min = serializers.ListField(child=serializers.FloatField())
    max = serializers.ListField(child=serializers.FloatField())
    total_points = serializers.IntegerField(help_text="Points stored, before downsampling.")

    class Meta:
        ref_name = "MetricSeriesData"


class KeyedSeriesOutput(SeriesOutput):
    key = serializers.CharField()

    class Meta:
        ref_name = "MetricSeries"


class ArtifactOutput(serializers.Serializer):
    id = serializers.IntegerField()
    run = serializers.IntegerField(source="run_id")
    path = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        ref_name = "Artifact"


# ---- experiments ---------------------------------------------------------------------------


class ExperimentListCreateApi(APIView):
    class FilterInput(serializers.Serializer):
        name = serializers.CharField(required=False, max_length=200)

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        description = serializers.CharField(required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "ExperimentCreate"

    @extend_schema(
        operation_id="experiments_list",
        parameters=[
            OpenApiParameter("name", str, description="Only the experiment with this name."),
            SCOPE_PARAMETER,
        ],
        responses=paginated_schema(ExperimentOutput, "Experiment"),
    )
    def get(self, request):
        query = self.FilterInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        experiments = selectors.experiment_list(user=request.user, scope=scope_of(request),
                                                **query.validated_data)
        return paginate(request, self, experiments, ExperimentOutput)

    @extend_schema(
        operation_id="experiments_create",
        request=InputSerializer,
        responses={201: ExperimentOutput},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        experiment = services.experiment_create(user=request.user, **data.validated_data)
        experiment = selectors.experiment_get(user=request.user, experiment_id=experiment.pk)
        return Response(ExperimentOutput(experiment).data, status=status.HTTP_201_CREATED)


class ExperimentDetailApi(APIView):
    class UpdateInput(serializers.Serializer):
        name = serializers.CharField(max_length=200, required=False)
        description = serializers.CharField(required=False, allow_blank=True)

        class Meta:
            ref_name = "ExperimentUpdate"

    @extend_schema(operation_id="experiments_retrieve", responses=ExperimentOutput)
    def get(self, request, experiment_id: int):
        experiment = selectors.experiment_get(user=request.user, experiment_id=experiment_id)
        return Response(ExperimentOutput(experiment).data)

    @extend_schema(
        operation_id="experiments_update", request=UpdateInput, responses=ExperimentOutput
    )
    def patch(self, request, experiment_id: int):
        data = self.UpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.experiment_update(
            user=request.user, experiment_id=experiment_id, **data.validated_data
        )
        experiment = selectors.experiment_get(user=request.user, experiment_id=experiment_id)
        return Response(ExperimentOutput(experiment).data)

    @extend_schema(operation_id="experiments_delete", responses={204: None})
    def delete(self, request, experiment_id: int):
        services.experiment_delete(user=request.user, experiment_id=experiment_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---- runs ----------------------------------------------------------------------------------


class ExperimentRunListCreateApi(APIView):
    class SearchInput(serializers.Serializer):
        filter = serializers.CharField(
            required=False, allow_blank=True, max_length=4000, default=""
        )
        order_by = serializers.CharField(
            required=False, allow_blank=True, max_length=1000, default=""
        )

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        params = serializers.JSONField(required=False, default=dict)
        tags = serializers.JSONField(required=False, default=dict)
        notes = serializers.CharField(required=False, allow_blank=True, default="")
        status = serializers.ChoiceField(choices=RunStatus.choices, default=RunStatus.RUNNING)

        class Meta:
            ref_name = "RunCreate"

    @extend_schema(
        operation_id="experiment_runs_list",
        parameters=[
            OpenApiParameter(
                "filter",
                str,
                description="e.g. `params.lr > 1e-4 and (metrics.val_loss < 2 or tags.team = 'nlp')`. "
                "Fields: params.X, metrics.X (last value), metrics.X.min, metrics.X.max, tags.X, "
                "status, name; operators = != < <= > >=; and, or, parentheses; names with dots "
                "in `backticks`. A syntax error is a 400 naming the character offset.",
            ),
            OpenApiParameter(
                "order_by",
                str,
                description="Comma-separated fields with asc/desc, e.g. `metrics.val_loss asc, "
                "params.lr desc`; also created_at, updated_at, started_at, finished_at, name, status.",
            ),
            SCOPE_PARAMETER,
        ],
        responses=paginated_schema(RunOutput, "Run"),
    )
    def get(self, request, experiment_id: int):
        query = self.SearchInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        runs = selectors.run_list(
            user=request.user,
            experiment_id=experiment_id,
            filter_text=query.validated_data["filter"],
            order_by=query.validated_data["order_by"],
            scope=scope_of(request),
        )
        return paginate(request, self, runs, RunOutput)

    @extend_schema(
        operation_id="experiment_runs_create", request=InputSerializer, responses={201: RunOutput}
    )
    def post(self, request, experiment_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.run_create(
            user=request.user, experiment_id=experiment_id, **data.validated_data
        )
        return Response(
            RunOutput(selectors.run_get(user=request.user, run_id=run.pk)).data, status=201
        )


class RunDetailApi(APIView):
    class UpdateInput(serializers.Serializer):
        name = serializers.CharField(max_length=200, required=False)
        notes = serializers.CharField(required=False, allow_blank=True)
        tags = serializers.JSONField(
            required=False, help_text="Merged; a null value removes a tag."
        )
        status = serializers.ChoiceField(choices=RunStatus.choices, required=False)

        class Meta:
            ref_name = "RunUpdate"

    @extend_schema(operation_id="runs_retrieve", responses=RunOutput)
    def get(self, request, run_id: int):
        return Response(RunOutput(selectors.run_get(user=request.user, run_id=run_id)).data)

    @extend_schema(operation_id="runs_update", request=UpdateInput, responses=RunOutput)
    def patch(self, request, run_id: int):
        data = self.UpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.run_update(user=request.user, run_id=run_id, **data.validated_data)
        return Response(RunOutput(selectors.run_get(user=request.user, run_id=run_id)).data)

    @extend_schema(operation_id="runs_delete", responses={204: None})
    def delete(self, request, run_id: int):
        services.run_delete(user=request.user, run_id=run_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RunParamsApi(APIView):
    class InputSerializer(serializers.Serializer):
        params = serializers.JSONField(help_text="name -> number, string, true, false or null.")

        class Meta:
            ref_name = "RunParamsLog"

    @extend_schema(operation_id="run_params_log", request=InputSerializer, responses=RunOutput)
    def post(self, request, run_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.run_params_log(
            user=request.user, run_id=run_id, params=data.validated_data["params"]
        )
        return Response(RunOutput(selectors.run_get(user=request.user, run_id=run_id)).data)


class _PointsJSONParser(JSONParser):
    """Lets NaN and Infinity parse, so validation can name the point that holds them."""

    strict = False


class MetricPointInput(serializers.Serializer):
    key = serializers.CharField(max_length=MAX_KEY_LENGTH)
    value = serializers.FloatField(help_text="Finite; NaN and infinity are refused.")
    step = serializers.IntegerField(min_value=0)
    timestamp = serializers.FloatField(required=False, help_text="Epoch seconds; default now.")

    class Meta:
        ref_name = "MetricPointInput"


class RunMetricsApi(APIView):
    parser_classes = [_PointsJSONParser]

    class InputSerializer(serializers.Serializer):
        # Describes the body for the schema; the service validates it in one fast loop.
        metrics = serializers.ListField(
            child=MetricPointInput(), max_length=MAX_POINTS_PER_REQUEST
        )

        class Meta:
            ref_name = "MetricBatch"

    class IngestedOutput(serializers.Serializer):
        count = serializers.IntegerField()

        class Meta:
            ref_name = "MetricBatchResult"

    @extend_schema(
        operation_id="run_metrics_list",
        responses=paginated_schema(MetricSeriesSummaryOutput, "MetricSeriesSummary"),
    )
    def get(self, request, run_id: int):
        series = selectors.metric_series_list(user=request.user, run_id=run_id)
        return paginate(request, self, series, _SeriesSummaryRows)

    @extend_schema(
        operation_id="run_metrics_log",
        request=InputSerializer,
        responses={201: IngestedOutput},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key", str, OpenApiParameter.HEADER,
                description="Any token (1-64 of A-Z a-z 0-9 _ . : -) unique to this batch: a "
                "batch resent with the same key within a day is stored once, and the resend "
                "gets the first answer.",
            )
        ],
        description="Up to 10,000 points per request. An invalid point is a 400 naming it, "
        "e.g. `metrics[12].value`; nothing of the batch is stored then.",
    )
    def post(self, request, run_id: int):
        metrics = request.data.get("metrics") if isinstance(request.data, dict) else None
        count = services.run_metrics_log(user=request.user, run_id=run_id, metrics=metrics,
                                         idempotency_key=request.headers.get("Idempotency-Key"))
        return Response({"count": count}, status=status.HTTP_201_CREATED)


class RunMetricSeriesApi(APIView):
    class QueryInput(serializers.Serializer):
        points = serializers.IntegerField(min_value=2, max_value=10_000, default=1000)

    @extend_schema(
        operation_id="run_metric_series",
        parameters=[
            OpenApiParameter(
                "points", int, description="Buckets to return (2..10000, default 1000)."
            )
        ],
        responses=KeyedSeriesOutput,
        description="A series of at most `points` points comes back whole (min = max = value); "
        "a longer one as `points` equal-width step buckets: last step, mean, min and max of each.",
    )
    def get(self, request, run_id: int, key: str):
        query = self.QueryInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        series = selectors.metric_series_get(
            user=request.user, run_id=run_id, key=key, points=query.validated_data["points"]
        )
        # Built in SQL already; a serializer pass over thousands of floats would only add time.
        return Response(series)


class ParamDiffOutput(serializers.Serializer):
    key = serializers.CharField()
    values = serializers.ListField(
        child=serializers.JSONField(), help_text="One per run, in `runs` order."
    )
    differs = serializers.BooleanField()

    class Meta:
        ref_name = "ParamDiff"


class RunCurveOutput(serializers.Serializer):
    run = serializers.IntegerField()
    summary = MetricSummaryOutput()
    series = SeriesOutput()

    class Meta:
        ref_name = "RunCurve"


class MetricCompareOutput(serializers.Serializer):
    key = serializers.CharField()
    runs = serializers.ListField(
        child=RunCurveOutput(allow_null=True),
        help_text="One per run, in `runs` order; null where the run lacks the key.",
    )

    class Meta:
        ref_name = "MetricCompare"


class ComparisonOutput(serializers.Serializer):
    runs = RunOutput(many=True)
    params = ParamDiffOutput(many=True)
    metrics = MetricCompareOutput(many=True)

    class Meta:
        ref_name = "RunComparison"


class RunCompareApi(APIView):
    class QueryInput(serializers.Serializer):
        ids = serializers.CharField(required=False, max_length=500)
        points = serializers.IntegerField(min_value=2, max_value=2000, default=200)
        keys = serializers.CharField(required=False, max_length=10_000)

        def validate_ids(self, value: str) -> list[int]:
            try:
                ids = [int(part) for part in value.split(",") if part.strip()]
            except ValueError:
                raise serializers.ValidationError(
                    "Give run ids separated by commas, e.g. 1,2,3."
                ) from None
            if not ids:
                raise serializers.ValidationError("Give at least one run id.")
            return ids

    @extend_schema(
        operation_id="runs_compare",
        parameters=[
            OpenApiParameter(
                "ids",
                str,
                description="Run ids, e.g. 1,2,3 (at most 10); default: your 10 latest runs.",
            ),
            OpenApiParameter("points", int, description="Points per curve (2..2000, default 200)."),
            OpenApiParameter("keys", str, description="Only these metric keys, comma-separated."),
        ],
        responses=ComparisonOutput,
    )
    def get(self, request):
        query = self.QueryInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        keys = query.validated_data.get("keys")
        comparison = selectors.run_compare(
            user=request.user,
            run_ids=query.validated_data.get("ids"),
            points=query.validated_data["points"],
            keys=[key for key in keys.split(",") if key] if keys else None,
        )
        comparison["runs"] = RunOutput(comparison["runs"], many=True).data
        return Response(comparison)


# ---- artifacts -----------------------------------------------------------------------------


class RunArtifactListUploadApi(APIView):
    parser_classes = [MultiPartParser]

    class UploadInput(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True, use_url=False)
        path = serializers.CharField(
            required=False,
            max_length=500,
            help_text="Display name, a relative path like `checkpoints/last.sou`; default: the file's name.",
        )

        class Meta:
            ref_name = "ArtifactUpload"

    @extend_schema(
        operation_id="run_artifacts_list", responses=paginated_schema(ArtifactOutput, "Artifact")
    )
    def get(self, request, run_id: int):
        return paginate(
            request, self, selectors.artifact_list(user=request.user, run_id=run_id), ArtifactOutput
        )

    @extend_schema(
        operation_id="run_artifacts_upload",
        request={"multipart/form-data": UploadInput},
        responses={201: ArtifactOutput},
    )
    def post(self, request, run_id: int):
        data = self.UploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        artifact = services.artifact_upload(user=request.user, run_id=run_id, **data.validated_data)
        return Response(ArtifactOutput(artifact).data, status=status.HTTP_201_CREATED)


class RunArtifactDetailApi(APIView):
    @extend_schema(operation_id="run_artifacts_delete", responses={204: None})
    def delete(self, request, run_id: int, artifact_id: int):
        services.artifact_delete(user=request.user, run_id=run_id, artifact_id=artifact_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RunArtifactDownloadApi(APIView):
    @extend_schema(
        operation_id="run_artifacts_download",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request, run_id: int, artifact_id: int):
        artifact, path = selectors.artifact_open(
            user=request.user, run_id=run_id, artifact_id=artifact_id
        )
        # Always an attachment of opaque bytes: the browser never renders what a user uploaded.
        response = FileResponse(
            core_storage.open_blob(core_storage.key_of(path)),  # streamed from the bucket on S3
            as_attachment=True,
            filename=PurePosixPath(artifact.path).name,
            content_type="application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["X-Checksum-SHA256"] = artifact.sha256
        return response
