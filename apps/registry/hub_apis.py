"""Registry API for pulling from a model hub: the user's hub token (set, replace, delete;
only its hint is ever shown), inspecting a repo before importing it, and the pull that adds
a version to a registered model. The download's progress reaches the owner's notifications
socket as `model_version.progress` {id, done, total}, its end as `model_version.imported`."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.schema import ErrorResponse

from . import hub_services
from .apis import BUMPS, VersionOutput
from .selectors import hub_token_get, model_version_get


class HubTokenOutput(serializers.Serializer):
    has_token = serializers.BooleanField()
    hint = serializers.CharField(help_text="the token's last characters, the rest masked; \"\" without one")
    updated_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "HubToken"


def _token_state(user) -> dict:
    row = hub_token_get(user=user)
    return {"has_token": row is not None, "hint": row.hint if row else "", "updated_at": row.updated_at if row else None}


class HubTokenApi(APIView):
    class Input(serializers.Serializer):
        token = serializers.CharField(max_length=hub_services.TOKEN_MAX_CHARS, trim_whitespace=True)

        class Meta:
            ref_name = "HubTokenSet"

    @extend_schema(operation_id="hub_token_retrieve", responses=HubTokenOutput)
    def get(self, request):
        return Response(HubTokenOutput(_token_state(request.user)).data)

    @extend_schema(operation_id="hub_token_set", request=Input, responses={200: HubTokenOutput, 400: ErrorResponse},
                   description="Stores your hub access token sealed, replacing any earlier one; it is never shown "
                               "again, only its hint.")
    def put(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        hub_services.hub_token_set(user=request.user, token=data.validated_data["token"])
        return Response(HubTokenOutput(_token_state(request.user)).data)

    @extend_schema(operation_id="hub_token_delete", responses={204: None})
    def delete(self, request):
        hub_services.hub_token_delete(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class HubRepoInput(serializers.Serializer):
    repo_id = serializers.CharField(max_length=200, help_text="owner/name on the hub")
    revision = serializers.CharField(max_length=200, required=False, default="main")
    filename = serializers.CharField(max_length=300, required=False, allow_blank=True, default="",
                                     help_text="the GGUF file, for a repo with several; empty for a model directory")

    class Meta:
        ref_name = "HubRepo"


class HubFileOutput(serializers.Serializer):
    name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()

    class Meta:
        ref_name = "HubFile"


class HubInspectionOutput(serializers.Serializer):
    repo_id = serializers.CharField()
    revision = serializers.CharField()
    commit_sha = serializers.CharField()
    kind = serializers.ChoiceField(choices=["gguf", "hf"])
    files = HubFileOutput(many=True)
    download = HubFileOutput(many=True)
    gguf_files = serializers.ListField(child=serializers.CharField())
    filename = serializers.CharField()
    license = serializers.CharField()
    gated = serializers.BooleanField()
    card = serializers.CharField(help_text="the model card's markdown, front matter removed")
    architecture = serializers.CharField()
    supported = serializers.BooleanField()
    total_bytes = serializers.IntegerField()
    problem = serializers.CharField(help_text="why it cannot be pulled as it is; empty when it can")
    problem_code = serializers.CharField()

    class Meta:
        ref_name = "HubInspection"


class HubInspectApi(APIView):
    @extend_schema(operation_id="models_hub_inspect", request=HubRepoInput,
                   responses={200: HubInspectionOutput, 400: ErrorResponse, 502: ErrorResponse},
                   description="What pulling the repo into this model (edit access) would import: license, card, "
                               "files, download size and architecture, read without downloading weights.")
    def post(self, request, model_id: int):
        data = HubRepoInput(data=request.data)
        data.is_valid(raise_exception=True)
        found = hub_services.hub_repo_inspect(user=request.user, model_id=model_id, **data.validated_data)
        return Response(HubInspectionOutput(found.to_dict()).data)


class HubPullApi(APIView):
    class Input(HubRepoInput):
        bump = serializers.ChoiceField(choices=BUMPS, default="minor")
        description = serializers.CharField(required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "HubPullInput"

    @extend_schema(operation_id="models_hub_pull", request=Input,
                   responses={201: VersionOutput, 400: ErrorResponse, 502: ErrorResponse},
                   description="A new version of this model pulled from the hub: importing until its download and "
                               "conversion finish (progress on the notifications socket).")
    def post(self, request, model_id: int):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        version = hub_services.model_version_pull(user=request.user, model_id=model_id, **data.validated_data)
        return Response(VersionOutput(model_version_get(user=request.user, version_id=version.pk)).data,
                        status=status.HTTP_201_CREATED)
