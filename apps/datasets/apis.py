"""Dataset API: datasets, streamed version uploads, validation reports, downloads, quota."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import storage
from apps.core.access import Action
from apps.core.access_api import SCOPE_PARAMETER, access_role_field, scope_of
from apps.core.pagination import paginate, paginated_schema
from apps.core.uploads import RawBodyParser, request_content_length

from . import services
from .models import Dataset, DatasetVersion
from .selectors import (
    dataset_get,
    dataset_list,
    dataset_version_get,
    dataset_version_list,
    storage_usage_get,
)


class DatasetOutput(serializers.ModelSerializer):
    version_count = serializers.IntegerField(read_only=True, default=0)
    access_role = access_role_field()

    class Meta:
        model = Dataset
        fields = ["id", "name", "description", "created_at", "updated_at", "version_count", "access_role"]
        ref_name = "Dataset"


class VersionOutput(serializers.ModelSerializer):
    access_role = access_role_field()
    lineage = serializers.SerializerMethodField(
        help_text="For a version a recipe run made: the run, its part, the recipe and version, the "
        "inputs and the per-step report (for others than the run's owner, its counts only); null for an "
        "upload.")

    class Meta:
        model = DatasetVersion
        fields = [
            "id", "dataset", "number", "filename", "format", "sha256", "size_bytes",
            "stored_bytes", "text_column", "prompt_column", "response_column", "status",
            "report", "created_at", "access_role", "lineage",
        ]
        ref_name = "DatasetVersion"

    @extend_schema_field({"type": "object", "additionalProperties": {}, "nullable": True})
    def get_lineage(self, version) -> dict | None:
        from apps.pipelines.selectors import dataset_version_lineage

        request = self.context.get("request")
        return dataset_version_lineage(version, reader_id=request.user.pk if request else None)


class DatasetInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "DatasetInput"


class DatasetListCreateApi(APIView):
    @extend_schema(operation_id="datasets_list", parameters=[SCOPE_PARAMETER],
                   responses=paginated_schema(DatasetOutput, "Dataset"))
    def get(self, request):
        return paginate(request, self, dataset_list(user=request.user, scope=scope_of(request)), DatasetOutput)

    @extend_schema(operation_id="datasets_create", request=DatasetInput, responses={201: DatasetOutput})
    def post(self, request):
        data = DatasetInput(data=request.data)
        data.is_valid(raise_exception=True)
        dataset = services.dataset_create(user=request.user, **data.validated_data)
        dataset = dataset_get(user=request.user, dataset_id=dataset.pk)
        return Response(DatasetOutput(dataset).data, status=status.HTTP_201_CREATED)


class DatasetDetailApi(APIView):
    class UpdateInput(serializers.Serializer):
        name = serializers.CharField(max_length=200, required=False)
        description = serializers.CharField(required=False, allow_blank=True)

        class Meta:
            ref_name = "DatasetUpdate"

    @extend_schema(operation_id="datasets_retrieve", responses=DatasetOutput)
    def get(self, request, dataset_id: int):
        return Response(DatasetOutput(dataset_get(user=request.user, dataset_id=dataset_id)).data)

    @extend_schema(operation_id="datasets_update", request=UpdateInput, responses=DatasetOutput)
    def patch(self, request, dataset_id: int):
        data = self.UpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.dataset_update(user=request.user, dataset_id=dataset_id, **data.validated_data)
        return Response(DatasetOutput(dataset_get(user=request.user, dataset_id=dataset_id)).data)

    @extend_schema(operation_id="datasets_delete", responses={204: None})
    def delete(self, request, dataset_id: int):
        services.dataset_delete(user=request.user, dataset_id=dataset_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DatasetVersionListUploadApi(APIView):
    parser_classes = [RawBodyParser]

    class UploadParams(serializers.Serializer):
        filename = serializers.CharField(max_length=255)
        text_column = serializers.CharField(max_length=100, default="text")
        prompt_column = serializers.CharField(max_length=100, default="prompt")
        response_column = serializers.CharField(max_length=100, default="response")

    @extend_schema(operation_id="dataset_versions_list", parameters=[SCOPE_PARAMETER],
                   responses=paginated_schema(VersionOutput, "DatasetVersion"))
    def get(self, request, dataset_id: int):
        dataset = dataset_get(user=request.user, dataset_id=dataset_id)
        versions = dataset_version_list(user=request.user, dataset=dataset, scope=scope_of(request))
        return paginate(request, self, versions, VersionOutput, context={"request": request})

    @extend_schema(
        operation_id="dataset_versions_upload",
        summary="Upload a file as a new version: the request body is the file's bytes.",
        parameters=[
            OpenApiParameter("filename", str, required=True),
            OpenApiParameter("text_column", str),
            OpenApiParameter("prompt_column", str),
            OpenApiParameter("response_column", str),
        ],
        request={"application/octet-stream": OpenApiTypes.BINARY},
        responses={201: VersionOutput, 200: VersionOutput},
    )
    def post(self, request, dataset_id: int):
        dataset_get(user=request.user, dataset_id=dataset_id, action=Action.EDIT)  # 404/403 come before 400
        params = self.UploadParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        content_length = request_content_length(request)
        # A file past the storage quota is a 413 naming the limit (apps.quotas.errors).
        version, created = services.dataset_version_upload(
            user=request.user, dataset_id=dataset_id, stream=request._request,
            content_length=content_length, **params.validated_data,
        )
        version = dataset_version_get(user=request.user, version_id=version.pk)
        return Response(VersionOutput(version, context={"request": request}).data, status=201 if created else 200)


class DatasetVersionDetailApi(APIView):
    @extend_schema(operation_id="dataset_version_retrieve", responses=VersionOutput)
    def get(self, request, version_id: int):
        version = dataset_version_get(user=request.user, version_id=version_id)
        return Response(VersionOutput(version, context={"request": request}).data)

    @extend_schema(operation_id="dataset_version_delete", responses={204: None})
    def delete(self, request, version_id: int):
        services.dataset_version_delete(user=request.user, version_id=version_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DatasetVersionDownloadApi(APIView):
    @extend_schema(operation_id="dataset_version_download", responses={
        (200, "application/octet-stream"): OpenApiTypes.BINARY,
        302: OpenApiResponse(description="Files kept in object storage: a short-lived link to them.")})
    def get(self, request, version_id: int):
        version = dataset_version_get(user=request.user, version_id=version_id)
        return storage.attachment_response(services.dataset_version_key(version), version.filename)


class StorageUsageApi(APIView):
    class Output(serializers.Serializer):
        used_bytes = serializers.IntegerField()
        quota_bytes = serializers.IntegerField(allow_null=True, help_text="null: unlimited")

        class Meta:
            ref_name = "StorageUsage"

    @extend_schema(operation_id="storage_usage", responses=Output)
    def get(self, request):
        return Response(self.Output(storage_usage_get(user=request.user)).data)
