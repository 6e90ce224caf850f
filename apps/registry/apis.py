"""Registry API: registered models, versions (from a run, an upload, or the starter model),
stages with history, lineage both ways, exports with reports, and downloads."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import storage as core_storage
from apps.core.access import Action, access_get, access_queryset
from apps.core.access_api import SCOPE_PARAMETER, access_role_field, scope_of
from apps.core.pagination import paginate, paginated_schema
from apps.core.schema import ErrorResponse
from apps.core.uploads import RawBodyParser, request_content_length
from apps.datasets.models import DatasetVersion
from apps.training.fine_tune import default_targets

from . import services, storage
from .evaluation import model_evaluation_create
from .models import HubPull, ModelExport, ModelVersion, RegisteredModel, Stage
from .selectors import (
    model_version_adapter_key,
    model_version_get,
    model_version_list,
    registered_model_get,
    registered_model_list,
)

BUMPS = ("major", "minor", "patch")


class ExportOutput(serializers.ModelSerializer):
    class Meta:
        model = ModelExport
        fields = ["id", "model_version", "qtype", "format", "status", "error", "sha256", "size_bytes", "report",
                  "created_at"]
        ref_name = "ModelExport"


class HubPullOutput(serializers.ModelSerializer):
    class Meta:
        model = HubPull
        fields = ["repo_id", "revision", "filename", "commit_sha", "license", "bytes_done", "bytes_total"]
        ref_name = "HubPull"


class VersionOutput(serializers.ModelSerializer):
    version = serializers.CharField(read_only=True)
    # Where a version pulled from a hub came from, and its download's progress; null otherwise.
    hub = HubPullOutput(source="hub_pull", read_only=True, allow_null=True, default=None)
    model_name = serializers.CharField(source="registered_model.name", read_only=True)
    exports = ExportOutput(many=True, read_only=True)
    has_adapter = serializers.SerializerMethodField()
    lora_default_targets = serializers.SerializerMethodField()
    access_role = access_role_field()

    def get_has_adapter(self, version) -> bool:
        """Whether the LoRA adapter this fine-tuned version was merged from can be downloaded."""
        return model_version_adapter_key(version) is not None

    def get_lora_default_targets(self, version) -> list[str]:
        """The layers a LoRA fine-tune of this version adapts unless told others; empty for an
        architecture without defaults."""
        return default_targets(version.architecture)

    class Meta:
        model = ModelVersion
        fields = [
            "id", "registered_model", "model_name", "version", "description", "source", "stage",
            "status", "error", "training_run", "dataset_version", "architecture", "parameters",
            "sha256", "size_bytes", "exports", "base_version", "personality_version", "has_adapter", "lora_default_targets",
            "hub", "created_at", "updated_at", "access_role",
        ]
        ref_name = "ModelVersion"


class ModelOutput(serializers.ModelSerializer):
    version_count = serializers.IntegerField(read_only=True, default=0)
    target_personality = serializers.IntegerField(
        source="target_personality_version.personality_id", read_only=True, allow_null=True, default=None)
    target_personality_name = serializers.CharField(
        source="target_personality_version.personality.name", read_only=True, allow_null=True, default=None)
    access_role = access_role_field()

    class Meta:
        model = RegisteredModel
        fields = ["id", "name", "description", "version_count", "target_personality_version", "target_personality",
                  "target_personality_name", "min_alignment", "max_alignment_drift", "created_at", "updated_at",
                  "access_role"]
        ref_name = "RegisteredModel"


class RegisteredModelListApi(APIView):
    @extend_schema(operation_id="models_list", parameters=[SCOPE_PARAMETER],
                   responses=paginated_schema(ModelOutput, "RegisteredModel"))
    def get(self, request):
        return paginate(request, self, registered_model_list(user=request.user, scope=scope_of(request)), ModelOutput)


class RegisteredModelDetailApi(APIView):
    class UpdateInput(serializers.Serializer):
        name = serializers.CharField(required=False, max_length=100)
        description = serializers.CharField(required=False, allow_blank=True)
        # The personality gate on moves to production; a null target clears it.
        target_personality_version_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
        min_alignment = serializers.FloatField(required=False, allow_null=True, min_value=0.0, max_value=1.0)
        max_alignment_drift = serializers.FloatField(required=False, allow_null=True, min_value=0.0, max_value=1.0)

        class Meta:
            ref_name = "RegisteredModelUpdate"

    @extend_schema(operation_id="models_retrieve", responses=ModelOutput)
    def get(self, request, model_id: int):
        return Response(ModelOutput(registered_model_get(user=request.user, model_id=model_id)).data)

    @extend_schema(operation_id="models_update", request=UpdateInput, responses=ModelOutput,
                   description="Renaming needs edit access; changing the personality gate, the right to promote.")
    def patch(self, request, model_id: int):
        registered_model_get(user=request.user, model_id=model_id, action=Action.EDIT)  # 404/403 before 400
        data = self.UpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        model = services.registered_model_update(user=request.user, model_id=model_id, **data.validated_data)
        return Response(ModelOutput(registered_model_get(user=request.user, model_id=model.pk)).data)

    @extend_schema(operation_id="models_delete", responses={204: None})
    def delete(self, request, model_id: int):
        services.registered_model_delete(user=request.user, model_id=model_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ModelVersionListApi(APIView):
    @extend_schema(operation_id="model_versions_list", parameters=[SCOPE_PARAMETER],
                   responses=paginated_schema(VersionOutput, "ModelVersion"))
    def get(self, request, model_id: int):
        model = access_get(RegisteredModel, user=request.user, pk=model_id)
        versions = model_version_list(user=request.user, registered_model=model, scope=scope_of(request))
        return paginate(request, self, versions, VersionOutput)


class ModelVersionFromRunApi(APIView):
    class InputSerializer(serializers.Serializer):
        training_run_id = serializers.IntegerField()
        name = serializers.CharField(max_length=100, required=False)
        model_id = serializers.IntegerField(
            required=False, help_text="add the version to this model (yours, or one you may edit) instead of `name`")
        checkpoint = serializers.ChoiceField(choices=["best", "last"], default="best")
        bump = serializers.ChoiceField(choices=BUMPS, default="minor")
        description = serializers.CharField(required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "ModelVersionFromRun"

    @extend_schema(operation_id="model_versions_from_run", request=InputSerializer, responses={201: VersionOutput})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.model_version_create_from_training_run(user=request.user, **data.validated_data)
        return Response(VersionOutput(model_version_get(user=request.user, version_id=version.pk)).data,
                        status=status.HTTP_201_CREATED)


class ModelVersionUploadApi(APIView):
    parser_classes = [RawBodyParser]

    class Params(serializers.Serializer):
        name = serializers.CharField(max_length=100, required=False)
        model_id = serializers.IntegerField(required=False)
        filename = serializers.CharField(max_length=255)
        bump = serializers.ChoiceField(choices=BUMPS, default="minor")

    @extend_schema(
        operation_id="model_versions_upload",
        summary="Upload a .gguf, a .sou or a .zip of a Hugging Face model directory as a new version.",
        parameters=[OpenApiParameter("name", str), OpenApiParameter("filename", str, required=True),
                    OpenApiParameter("bump", str),
                    OpenApiParameter("model_id", int, description="a model you may edit, instead of name")],
        request={"application/octet-stream": OpenApiTypes.BINARY},
        responses={201: VersionOutput},
    )
    def post(self, request):
        params = self.Params(data=request.query_params)
        params.is_valid(raise_exception=True)
        version = services.model_version_upload(
            user=request.user, stream=request._request, content_length=request_content_length(request),
            **params.validated_data,
        )
        return Response(VersionOutput(model_version_get(user=request.user, version_id=version.pk)).data,
                        status=status.HTTP_201_CREATED)


class StarterModelApi(APIView):
    """Idempotent: while the user's starter model is importing or ready, asking again answers
    200 with that version instead of starting another import."""

    class Output(VersionOutput):
        created = serializers.SerializerMethodField()

        class Meta(VersionOutput.Meta):
            fields = [*VersionOutput.Meta.fields, "created"]
            ref_name = "StarterModelVersion"

        def get_created(self, _version) -> bool:
            """False when the answer is the starter model the user already has."""
            return self.context["created"]

    @extend_schema(operation_id="model_versions_starter", request=None,
                   responses={200: Output, 201: Output})
    def post(self, request):
        version, created = services.model_version_create_starter(user=request.user)
        version = model_version_get(user=request.user, version_id=version.pk)  # with access_role
        return Response(self.Output(version, context={"created": created}).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ModelVersionDetailApi(APIView):
    @extend_schema(operation_id="model_versions_retrieve", responses=VersionOutput)
    def get(self, request, version_id: int):
        return Response(VersionOutput(model_version_get(user=request.user, version_id=version_id)).data)


class ModelVersionStageApi(APIView):
    class InputSerializer(serializers.Serializer):
        stage = serializers.ChoiceField(choices=Stage.choices)
        note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
        override = serializers.BooleanField(
            required=False, default=False,
            help_text="staff only, with a note: move to production whatever the personality gate says")

        class Meta:
            ref_name = "ModelVersionStage"

    class TransitionOutput(serializers.Serializer):
        from_stage = serializers.CharField()
        to_stage = serializers.CharField()
        user = serializers.EmailField(source="user.email", allow_null=True)
        at = serializers.DateTimeField()
        note = serializers.CharField()
        gate = serializers.JSONField(
            help_text="a move to production under a personality gate: passed, overridden, reasons, alignment, "
                      "production_alignment, alignment_drop, the thresholds and the evaluation ids; {} otherwise")

        class Meta:
            ref_name = "StageTransition"

    @extend_schema(operation_id="model_versions_stage_history", responses=TransitionOutput(many=True))
    def get(self, request, version_id: int):
        version = access_get(ModelVersion, user=request.user, pk=version_id)
        return Response(self.TransitionOutput(version.transitions.select_related("user"), many=True).data)

    @extend_schema(operation_id="model_versions_set_stage", request=InputSerializer, responses=VersionOutput,
                   description="A move to production of a model with a target personality is gated: 409 "
                               "`personality_gate_failed` with the measured reasons, or 409 "
                               "`personality_evaluation_running` after starting the evaluation it needs "
                               "(try again when it finishes); staff may override with a note. Moving into "
                               "or out of production needs the right to promote (403 otherwise).")
    def post(self, request, version_id: int):
        access_get(ModelVersion, user=request.user, pk=version_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.model_version_set_stage(user=request.user, version_id=version_id, **data.validated_data)
        return Response(VersionOutput(model_version_get(user=request.user, version_id=version.pk)).data)


def _readable(obj, user):
    """`obj` if `user` may read it, else None."""
    if obj is None or not access_queryset(type(obj), user=user).filter(pk=obj.pk).exists():
        return None
    return obj


class ModelVersionLineageApi(APIView):
    """Ids for links, and the names and version number people know them by."""

    class Output(serializers.Serializer):
        model_version = serializers.IntegerField()
        training_run = serializers.IntegerField(allow_null=True)
        run = serializers.IntegerField(allow_null=True)
        run_name = serializers.CharField(allow_null=True)
        experiment = serializers.IntegerField(allow_null=True)
        experiment_name = serializers.CharField(allow_null=True)
        dataset_version = serializers.IntegerField(allow_null=True)
        dataset_version_number = serializers.IntegerField(allow_null=True)
        dataset = serializers.IntegerField(allow_null=True)
        dataset_name = serializers.CharField(allow_null=True)
        base_version = serializers.IntegerField(allow_null=True)
        base_version_label = serializers.CharField(allow_null=True)
        method = serializers.CharField(
            allow_null=True, help_text="how the training run made it: scratch, full, lora, qlora or dpo")
        has_adapter = serializers.BooleanField(help_text="a LoRA adapter is kept for download")
        personality_version = serializers.IntegerField(allow_null=True)
        personality_version_number = serializers.IntegerField(allow_null=True)
        personality = serializers.IntegerField(allow_null=True)
        personality_name = serializers.CharField(allow_null=True)

        class Meta:
            ref_name = "ModelLineage"

    @extend_schema(operation_id="model_versions_lineage", responses=Output)
    def get(self, request, version_id: int):
        version = access_get(
            ModelVersion.objects.select_related("training_run__run__experiment", "dataset_version__dataset",
                                                "base_version__registered_model", "personality_version__personality"),
            user=request.user, pk=version_id)
        # A shared version's lineage names only what the reader may see themselves.
        base = _readable(version.base_version, request.user)
        applied = _readable(version.personality_version, request.user)
        training_run = _readable(version.training_run, request.user)
        run = training_run.run if training_run else None
        dataset_version = _readable(version.dataset_version, request.user)
        return Response(self.Output({
            "model_version": version.pk,
            "training_run": training_run.pk if training_run else None,
            "run": run.pk if run else None,
            "run_name": run.name if run else None,
            "experiment": run.experiment_id if run else None,
            "experiment_name": run.experiment.name if run else None,
            "dataset_version": dataset_version.pk if dataset_version else None,
            "dataset_version_number": dataset_version.number if dataset_version else None,
            "dataset": dataset_version.dataset_id if dataset_version else None,
            "dataset_name": dataset_version.dataset.name if dataset_version else None,
            "base_version": base.pk if base else None,
            "base_version_label": str(base) if base else None,
            "method": training_run.method if training_run else None,
            "has_adapter": model_version_adapter_key(version) is not None,
            "personality_version": applied.pk if applied else None,
            "personality_version_number": applied.number if applied else None,
            "personality": applied.personality_id if applied else None,
            "personality_name": applied.personality.name if applied else None,
        }).data)


class DatasetVersionModelsApi(APIView):
    """Lineage the other way: the model versions trained on a dataset version."""

    @extend_schema(operation_id="dataset_version_models", responses=paginated_schema(VersionOutput, "DerivedModelVersion"))
    def get(self, request, version_id: int):
        dataset_version = access_get(DatasetVersion, user=request.user, pk=version_id)
        versions = model_version_list(user=request.user).filter(dataset_version=dataset_version)
        return paginate(request, self, versions, VersionOutput)


class ModelExportCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        qtypes = serializers.ListField(child=serializers.CharField(max_length=8), min_length=1,
                                       max_length=len(services.EXPORT_TYPES))
        format = serializers.ChoiceField(choices=ModelExport.Format.choices, default=ModelExport.Format.SOU,
                                         help_text="sou (runs here) or gguf (llama.cpp, Ollama)")

        class Meta:
            ref_name = "ModelExportCreate"

    @extend_schema(operation_id="model_exports_create", request=InputSerializer, responses={202: ExportOutput(many=True)})
    def post(self, request, version_id: int):
        access_get(ModelVersion, user=request.user, pk=version_id, action=Action.RUN)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        exports = services.model_export_create(user=request.user, version_id=version_id,
                                               qtypes=data.validated_data["qtypes"],
                                               export_format=data.validated_data["format"])
        return Response(ExportOutput(exports, many=True).data, status=status.HTTP_202_ACCEPTED)


class ModelVersionDownloadApi(APIView):
    @extend_schema(operation_id="model_versions_download", responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 409: ErrorResponse})
    def get(self, request, version_id: int):
        version = access_get(ModelVersion.objects.select_related("registered_model"), user=request.user,
                             pk=version_id)
        if version.status != ModelVersion.Status.READY:
            return Response({"error": {"code": "not_ready", "message": f"the version is {version.status}"}}, status=409)
        return core_storage.attachment_response(storage.canonical_key(version.owner_id, version.pk),
                           f"{version.registered_model.name}-{version.version}-F32.sou")


class ModelVersionAdapterDownloadApi(APIView):
    @extend_schema(operation_id="model_versions_adapter_download",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: ErrorResponse},
                   description="The LoRA adapter (safetensors) a fine-tuned version was merged from; "
                               "404 for a version made otherwise.")
    def get(self, request, version_id: int):
        version = access_get(ModelVersion.objects.select_related("registered_model"), user=request.user,
                             pk=version_id)
        key = model_version_adapter_key(version)
        if key is None:
            raise NotFound(f"Model version {version} has no LoRA adapter.")
        return core_storage.attachment_response(key, f"{version.registered_model.name}-{version.version}-adapter.safetensors")


class ModelExportDownloadApi(APIView):
    @extend_schema(operation_id="model_exports_download", responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 409: ErrorResponse})
    def get(self, request, export_id: int):
        export = access_get(ModelExport.objects.select_related("model_version__registered_model"),
                            user=request.user, pk=export_id)
        if export.status != ModelExport.Status.READY:
            return Response({"error": {"code": "not_ready", "message": f"the export is {export.status}"}}, status=409)
        version = export.model_version
        return core_storage.attachment_response(storage.export_key(version.owner_id, version.pk, export.qtype, export.format),
                           f"{version.registered_model.name}-{version.version}-{export.qtype}.{export.format}")


class ModelEvaluationCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        dataset_version_id = serializers.IntegerField()
        kind = serializers.ChoiceField(choices=["perplexity", "generation"])
        max_records = serializers.IntegerField(min_value=1, max_value=1000, default=50)
        max_tokens = serializers.IntegerField(min_value=1, max_value=1024, default=64)

        class Meta:
            ref_name = "ModelEvaluationCreate"

    class Output(serializers.Serializer):
        run = serializers.IntegerField(source="pk")
        experiment = serializers.IntegerField(source="experiment_id")
        status = serializers.CharField()

        class Meta:
            ref_name = "ModelEvaluation"

    @extend_schema(operation_id="model_versions_evaluate", request=InputSerializer, responses={202: Output})
    def post(self, request, version_id: int):
        access_get(ModelVersion, user=request.user, pk=version_id, action=Action.RUN)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = model_evaluation_create(user=request.user, version_id=version_id, **data.validated_data)
        return Response(self.Output(run).data, status=status.HTTP_202_ACCEPTED)
