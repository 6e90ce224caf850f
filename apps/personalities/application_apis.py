"""Applications and evaluations API under /api/v1/: apply a personality to one of your model
versions (create, list filtered by personality or model version, detail, the evaluation
report, the chart), the evaluations (the gate's and the applications'), and the probe set
the user picks a subset from. Another user's ids answer 404; a report or chart that does not
exist yet answers 409."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import storage as core_storage
from apps.core.errors import Conflict
from apps.core.pagination import paginate, paginated_schema
from apps.core.schema import ErrorResponse

from . import storage
from .applications import personality_application_create
from .evaluations import probe_set
from .models import PersonalityApplication, PersonalityEvaluation
from .selectors import (
    personality_application_get,
    personality_application_list,
    personality_evaluation_get,
    personality_evaluation_list,
)

FILTERS = [
    OpenApiParameter("personality", int, description="only those of this personality"),
    OpenApiParameter("personality_version", int, description="only those of this personality version"),
    OpenApiParameter("model_version", int, description="only those of (or, for applications, made as) this model version"),
]


def _filters(request) -> dict:
    """The list filters; a value that is not a positive integer matches nothing."""
    values = {}
    for name in ("personality", "personality_version", "model_version"):
        raw = request.query_params.get(name)
        if raw is not None:
            values[f"{name}_id"] = int(raw) if raw.isdigit() else 0
    return values


class EvaluationOutput(serializers.ModelSerializer):
    """An evaluation with its headline numbers (of the served condition) once ready."""

    model_version_label = serializers.CharField(source="model_version.__str__", read_only=True)
    personality = serializers.IntegerField(source="personality_version.personality_id", read_only=True)
    personality_name = serializers.CharField(source="personality_version.personality.name", read_only=True)
    personality_version_number = serializers.IntegerField(source="personality_version.number", read_only=True)
    probes = serializers.SerializerMethodField()
    served = serializers.SerializerMethodField()
    alignment = serializers.SerializerMethodField()
    vader_compound = serializers.SerializerMethodField()
    alignment_gain = serializers.SerializerMethodField()
    vader_gain = serializers.SerializerMethodField()
    perplexity_ratio = serializers.SerializerMethodField()

    class Meta:
        model = PersonalityEvaluation
        fields = ["id", "model_version", "model_version_label", "personality", "personality_name",
                  "personality_version", "personality_version_number", "probe_ids", "probes", "max_tokens",
                  "status", "progress", "error", "has_chart", "served", "alignment", "vader_compound",
                  "alignment_gain", "vader_gain", "perplexity_ratio", "created_at", "finished_at"]
        ref_name = "PersonalityEvaluation"

    def get_probes(self, evaluation) -> int:
        return len(evaluation.probe_ids)

    def get_served(self, evaluation) -> str | None:
        """The condition a chat with the version gets: none, system_prompt, steering or lora."""
        return evaluation.report.get("served")

    def get_alignment(self, evaluation) -> float | None:
        return evaluation.report.get("alignment")

    def get_vader_compound(self, evaluation) -> float | None:
        return evaluation.report.get("vader_compound")

    def get_alignment_gain(self, evaluation) -> float | None:
        """The served condition's alignment minus no personality's."""
        return evaluation.report.get("alignment_gain")

    def get_vader_gain(self, evaluation) -> float | None:
        return evaluation.report.get("vader_gain")

    def get_perplexity_ratio(self, evaluation) -> float | None:
        """The served condition's answer perplexity over no personality's."""
        return evaluation.report.get("perplexity_ratio")


class ApplicationOutput(serializers.ModelSerializer):
    model_version_label = serializers.CharField(source="model_version.__str__", read_only=True)
    registered_model = serializers.IntegerField(source="model_version.registered_model_id", read_only=True)
    personality = serializers.IntegerField(source="personality_version.personality_id", read_only=True)
    personality_name = serializers.CharField(source="personality_version.personality.name", read_only=True)
    personality_version_number = serializers.IntegerField(source="personality_version.number", read_only=True)
    result_version_label = serializers.SerializerMethodField()
    evaluation = EvaluationOutput(read_only=True, allow_null=True)

    class Meta:
        model = PersonalityApplication
        fields = ["id", "model_version", "model_version_label", "registered_model", "personality",
                  "personality_name", "personality_version", "personality_version_number", "method", "options",
                  "status", "stage", "progress", "error", "result_version", "result_version_label", "evaluation",
                  "summary", "created_at", "updated_at", "finished_at"]
        ref_name = "PersonalityApplication"

    def get_result_version_label(self, application) -> str | None:
        return str(application.result_version) if application.result_version_id else None


class ReportOutput(serializers.Serializer):
    class Condition(serializers.Serializer):
        alignment = serializers.FloatField(allow_null=True)
        metrics = serializers.DictField(child=serializers.FloatField(allow_null=True))
        perplexity = serializers.FloatField(allow_null=True)
        perplexity_ratio = serializers.FloatField(allow_null=True)

        class Meta:
            ref_name = "PersonalityEvaluationCondition"

    class Delta(serializers.Serializer):
        alignment = serializers.FloatField(allow_null=True)
        vader_compound = serializers.FloatField(allow_null=True)
        perplexity_ratio = serializers.FloatField(allow_null=True)

        class Meta:
            ref_name = "PersonalityEvaluationDelta"

    evaluation = serializers.IntegerField()
    model = serializers.CharField(help_text="the evaluated model version, as name:version")
    personality = serializers.DictField(help_text="id, name, version_id, version_number")
    probes = serializers.IntegerField()
    probe_ids = serializers.ListField(child=serializers.IntegerField())
    max_tokens = serializers.IntegerField()
    steering = serializers.DictField(help_text="source (file or computed), layers, strength")
    served = serializers.CharField()
    alignment = serializers.FloatField(allow_null=True)
    vader_compound = serializers.FloatField(allow_null=True)
    alignment_gain = serializers.FloatField(allow_null=True)
    vader_gain = serializers.FloatField(allow_null=True)
    perplexity_ratio = serializers.FloatField(allow_null=True)
    conditions = serializers.DictField(child=Condition(), help_text="none, system_prompt, steering and lora when run")
    deltas = serializers.DictField(child=Delta(), help_text="each condition against none")
    table = serializers.CharField(help_text="the CLI's plain-text table")
    answers = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField(allow_blank=True)),
        help_text="per probe: category, prompt and each condition's answer")

    class Meta:
        ref_name = "PersonalityEvaluationReport"


def _ready(evaluation: PersonalityEvaluation | None, what: str) -> PersonalityEvaluation:
    """`evaluation` once ready; else a 409 saying where it stands (`what` names it)."""
    if evaluation is None or evaluation.status != PersonalityEvaluation.Status.READY:
        state = "not started yet" if evaluation is None else evaluation.status
        detail = f": {evaluation.error}" if evaluation is not None and evaluation.error else ""
        raise Conflict(f"{what} is {state}{detail}; its report and chart come when it is ready")
    return evaluation


def _report(evaluation: PersonalityEvaluation) -> Response:
    return Response(ReportOutput({"evaluation": evaluation.pk, **evaluation.report}).data)


def _chart(evaluation: PersonalityEvaluation, name: str) -> HttpResponse:
    """The chart the worker stored: streamed locally, a short-lived link to it on S3."""
    if not evaluation.has_chart:
        raise Conflict("this evaluation has no chart")
    if not core_storage.stored_exists(storage.evaluation_chart(evaluation.owner_id, evaluation.pk)):
        raise NotFound("this evaluation's chart is no longer stored")
    return core_storage.attachment_response(storage.evaluation_chart_key(evaluation.owner_id, evaluation.pk), name,
                                            content_type="image/png")


REPORT_RESPONSES = {200: ReportOutput, 409: ErrorResponse}
CHART_RESPONSES = {(200, "image/png"): OpenApiTypes.BINARY,
                   302: OpenApiResponse(description="Files kept in object storage: a short-lived link to it."),
                   404: ErrorResponse, 409: ErrorResponse}


class PersonalityApplicationListCreateApi(APIView):
    class CreateInput(serializers.Serializer):
        model_version_id = serializers.IntegerField(min_value=1)
        personality_id = serializers.IntegerField(min_value=1, required=False,
                                                  help_text="applies its current version")
        personality_version_id = serializers.IntegerField(min_value=1, required=False)
        method = serializers.ChoiceField(choices=PersonalityApplication.Method.choices)
        options = serializers.DictField(
            required=False, default=dict,
            help_text="every method: probes (a count) or probe_ids, max_tokens; steering: strength, "
                      "prompt_scale, layers, contrast, samples; lora: steps, rank, lr, answer_tokens")

        class Meta:
            ref_name = "PersonalityApplicationCreate"

    @extend_schema(operation_id="personality_applications_list", parameters=FILTERS,
                   responses=paginated_schema(ApplicationOutput, "PersonalityApplication"))
    def get(self, request):
        applications = personality_application_list(user=request.user, **_filters(request))
        return paginate(request, self, applications, ApplicationOutput)

    @extend_schema(operation_id="personality_applications_create", request=CreateInput,
                   responses={201: ApplicationOutput})
    def post(self, request):
        data = self.CreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        application = personality_application_create(user=request.user, **data.validated_data)
        application = personality_application_get(user=request.user, application_id=application.pk)
        return Response(ApplicationOutput(application).data, status=status.HTTP_201_CREATED)


class PersonalityApplicationDetailApi(APIView):
    @extend_schema(operation_id="personality_applications_retrieve", responses=ApplicationOutput)
    def get(self, request, application_id: int):
        application = personality_application_get(user=request.user, application_id=application_id)
        return Response(ApplicationOutput(application).data)


class PersonalityApplicationReportApi(APIView):
    @extend_schema(operation_id="personality_applications_report", responses=REPORT_RESPONSES)
    def get(self, request, application_id: int):
        application = personality_application_get(user=request.user, application_id=application_id)
        return _report(_ready(application.evaluation, "the application's evaluation"))


class PersonalityApplicationChartApi(APIView):
    @extend_schema(operation_id="personality_applications_chart", responses=CHART_RESPONSES)
    def get(self, request, application_id: int):
        application = personality_application_get(user=request.user, application_id=application_id)
        return _chart(_ready(application.evaluation, "the application's evaluation"),
                      f"personality-application-{application.pk}.png")


class PersonalityEvaluationListApi(APIView):
    @extend_schema(operation_id="personality_evaluations_list", parameters=FILTERS,
                   responses=paginated_schema(EvaluationOutput, "PersonalityEvaluation"))
    def get(self, request):
        return paginate(request, self, personality_evaluation_list(user=request.user, **_filters(request)),
                        EvaluationOutput)


class PersonalityEvaluationDetailApi(APIView):
    @extend_schema(operation_id="personality_evaluations_retrieve", responses=EvaluationOutput)
    def get(self, request, evaluation_id: int):
        return Response(EvaluationOutput(personality_evaluation_get(user=request.user, evaluation_id=evaluation_id)).data)


class PersonalityEvaluationReportApi(APIView):
    @extend_schema(operation_id="personality_evaluations_report", responses=REPORT_RESPONSES)
    def get(self, request, evaluation_id: int):
        return _report(_ready(personality_evaluation_get(user=request.user, evaluation_id=evaluation_id), "this evaluation"))


class PersonalityEvaluationChartApi(APIView):
    @extend_schema(operation_id="personality_evaluations_chart", responses=CHART_RESPONSES)
    def get(self, request, evaluation_id: int):
        evaluation = _ready(personality_evaluation_get(user=request.user, evaluation_id=evaluation_id), "this evaluation")
        return _chart(evaluation, f"personality-evaluation-{evaluation.pk}.png")


class PersonalityProbeListApi(APIView):
    class Output(serializers.Serializer):
        id = serializers.IntegerField()
        category = serializers.CharField()
        prompt = serializers.CharField()

        class Meta:
            ref_name = "PersonalityProbe"

    @extend_schema(operation_id="personality_probes_list", responses=Output(many=True),
                   summary="The evaluation probes; options.probe_ids names them by id.")
    def get(self, request):
        probes = [{"id": i, "category": p.category, "prompt": p.prompt} for i, p in enumerate(probe_set())]
        return Response(self.Output(probes, many=True).data)
