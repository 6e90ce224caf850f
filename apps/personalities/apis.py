"""Personality API under /api/v1/personalities/: list (built-ins and the user's own),
create (config, learned or neural), detail, update (a new version when behaviour changes),
delete, copy, versions, the unsaved config preview, and scoring texts, a conversation or a
dataset version. Writes to a built-in answer 403; unknown or another user's ids 404."""

from __future__ import annotations

from dataclasses import asdict

from django.http import HttpResponse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.access import Action
from apps.core.access_api import SCOPE_PARAMETER, access_role_field, scope_of
from apps.core.pagination import paginate, paginated_schema

from . import services
from .loader import personality_version_archive
from .models import Personality, PersonalityVersion
from .scoring import personality_score
from .selectors import (
    personality_get,
    personality_list,
    personality_version_get,
    personality_version_list,
)
from .serializers import PersonalityScoreOutput
from .sources import MAX_TEXTS

MAX_TEXT_FIELD_CHARS = 100_000  # one pasted text; ml measures its first 20,000 characters


def _texts_field(**kwargs):
    return serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=MAX_TEXT_FIELD_CHARS),
        required=False, **kwargs,
    )


def _traits_field():
    return serializers.DictField(child=serializers.FloatField(min_value=0.0, max_value=1.0), required=False)


class VersionOutput(serializers.ModelSerializer):
    class Meta:
        model = PersonalityVersion
        fields = [
            "id", "personality", "number", "traits", "target_ranges", "generation_defaults",
            "system_prompt", "artifacts", "provenance", "status", "progress", "metrics", "error",
            "created_at",
        ]
        ref_name = "PersonalityVersion"


class VersionAccessOutput(VersionOutput):
    """A version on its own, with the caller's access to its personality."""

    access_role = access_role_field()

    class Meta(VersionOutput.Meta):
        fields = [*VersionOutput.Meta.fields, "access_role"]
        ref_name = "PersonalityVersionWithAccess"


class PersonalityOutput(serializers.ModelSerializer):
    builtin = serializers.BooleanField(read_only=True)
    current_version = VersionOutput(read_only=True, allow_null=True)
    access_role = access_role_field()

    class Meta:
        model = Personality
        fields = ["id", "name", "description", "kind", "archetype", "builtin", "current_version",
                  "created_at", "updated_at", "access_role"]
        ref_name = "Personality"


class WrittenOutput(PersonalityOutput):
    """A personality after a create or an edit, with what the caps cut from the texts the
    edit's new version was made from (also kept in that version's provenance)."""

    notices = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(PersonalityOutput.Meta):
        fields = [*PersonalityOutput.Meta.fields, "notices"]
        ref_name = "PersonalityWritten"


def _written(personality: Personality, *, user, version_before: int | None = None) -> dict:
    personality = personality_get(user=user, personality_id=personality.pk)
    current = personality.current_version
    made = current is not None and current.pk != version_before
    notices = list(current.provenance.get("notices", [])) if made else []
    return {**WrittenOutput(personality).data, "notices": notices}


class PersonalityListCreateApi(APIView):
    class CreateInput(serializers.Serializer):
        kind = serializers.ChoiceField(choices=Personality.Kind.choices)
        name = serializers.CharField(max_length=100)
        description = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
        archetype = serializers.CharField(required=False, allow_blank=True, max_length=50)
        traits = _traits_field()
        examples = _texts_field()
        dataset_version_id = serializers.IntegerField(required=False, min_value=1)
        background = _texts_field()
        epochs = serializers.IntegerField(required=False, min_value=1, max_value=services.MAX_EPOCHS)

        class Meta:
            ref_name = "PersonalityCreate"

    CREATE = {
        Personality.Kind.CONFIG: services.personality_create_config,
        Personality.Kind.LEARNED: services.personality_create_learned,
        Personality.Kind.NEURAL: services.personality_create_neural,
    }

    @extend_schema(
        operation_id="personalities_list",
        parameters=[OpenApiParameter("kind", str, enum=Personality.Kind.values), SCOPE_PARAMETER],
        responses=paginated_schema(PersonalityOutput, "Personality"),
    )
    def get(self, request):
        kind = request.query_params.get("kind")
        kind = kind if kind in Personality.Kind.values else None
        personalities = personality_list(user=request.user, kind=kind, scope=scope_of(request))
        return paginate(request, self, personalities, PersonalityOutput)

    @extend_schema(operation_id="personalities_create", request=CreateInput, responses={201: WrittenOutput})
    def post(self, request):
        data = self.CreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        kind = values.pop("kind")
        extra = sorted(set(values) - {"name", "description", *services.KIND_FIELDS[kind]})
        if extra:
            raise serializers.ValidationError({extra[0]: [f"a {kind} personality has no {extra[0]}"]})
        personality = self.CREATE[kind](user=request.user, **values)
        return Response(_written(personality, user=request.user), status=status.HTTP_201_CREATED)


class PersonalityDetailApi(APIView):
    class UpdateInput(serializers.Serializer):
        name = serializers.CharField(max_length=100, required=False)
        description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
        archetype = serializers.CharField(required=False, allow_blank=True, max_length=50)
        traits = _traits_field()
        examples = _texts_field()
        dataset_version_id = serializers.IntegerField(required=False, min_value=1)
        background = _texts_field()
        epochs = serializers.IntegerField(required=False, min_value=1, max_value=services.MAX_EPOCHS)

        class Meta:
            ref_name = "PersonalityUpdate"

    @extend_schema(operation_id="personalities_retrieve", responses=PersonalityOutput)
    def get(self, request, personality_id: int):
        return Response(PersonalityOutput(personality_get(user=request.user, personality_id=personality_id)).data)

    @extend_schema(operation_id="personalities_update", request=UpdateInput, responses=WrittenOutput)
    def patch(self, request, personality_id: int):
        # 404 (or 403 for read access) comes before 400; a built-in answers 403 in the service.
        before = personality_get(user=request.user, personality_id=personality_id)
        if not before.builtin:
            personality_get(user=request.user, personality_id=personality_id, action=Action.EDIT)
        data = self.UpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        personality = services.personality_update(user=request.user, personality_id=personality_id,
                                                  **data.validated_data)
        return Response(_written(personality, user=request.user, version_before=before.current_version_id))

    @extend_schema(operation_id="personalities_delete", responses={204: None})
    def delete(self, request, personality_id: int):
        services.personality_delete(user=request.user, personality_id=personality_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PersonalityCopyApi(APIView):
    class Input(serializers.Serializer):
        name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "PersonalityCopy"

    @extend_schema(operation_id="personalities_copy", request=Input, responses={201: PersonalityOutput})
    def post(self, request, personality_id: int):
        personality_get(user=request.user, personality_id=personality_id)  # 404 comes before 400
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        copy = services.personality_copy(user=request.user, personality_id=personality_id, **data.validated_data)
        copy = personality_get(user=request.user, personality_id=copy.pk)
        return Response(PersonalityOutput(copy).data, status=status.HTTP_201_CREATED)


class PersonalityVersionListApi(APIView):
    @extend_schema(operation_id="personality_versions_list", parameters=[SCOPE_PARAMETER],
                   responses=paginated_schema(VersionAccessOutput, "PersonalityVersion"))
    def get(self, request, personality_id: int):
        versions = personality_version_list(user=request.user, personality_id=personality_id,
                                            scope=scope_of(request))
        return paginate(request, self, versions, VersionAccessOutput)


class PersonalityVersionDetailApi(APIView):
    @extend_schema(operation_id="personality_version_retrieve", responses=VersionAccessOutput)
    def get(self, request, version_id: int):
        return Response(VersionAccessOutput(personality_version_get(user=request.user, version_id=version_id)).data)


class PersonalityVersionDownloadApi(APIView):
    @extend_schema(operation_id="personality_version_download",
                   responses={(200, "application/zip"): OpenApiTypes.BINARY},
                   summary="The version as a zip the CLI's --personality loads (its JSON and artifacts).")
    def get(self, request, version_id: int):
        version = personality_version_get(user=request.user, version_id=version_id)
        name = slugify(version.personality.name) or "personality"
        response = HttpResponse(personality_version_archive(version), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{name}-v{version.number}.zip"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


class PersonalityPreviewApi(APIView):
    class Input(serializers.Serializer):
        name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
        description = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
        archetype = serializers.CharField(required=False, allow_blank=True, default="", max_length=50)
        traits = _traits_field()

        class Meta:
            ref_name = "PersonalityPreviewInput"

    class Output(serializers.Serializer):
        traits = serializers.DictField(child=serializers.FloatField())
        system_prompt = serializers.CharField()
        generation_defaults = serializers.DictField()
        target_ranges = serializers.DictField(child=serializers.ListField(child=serializers.FloatField()))

        class Meta:
            ref_name = "PersonalityPreview"

    @extend_schema(operation_id="personalities_preview", request=Input, responses=Output,
                   summary="The system prompt, sampling defaults and metric targets of unsaved config values.")
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(self.Output(services.personality_preview(**data.validated_data)).data)


class PersonalityScoreApi(APIView):
    class Input(serializers.Serializer):
        # Not capped here: the service scores the first MAX_TEXTS and says so in `notices`.
        texts = serializers.ListField(
            child=serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=MAX_TEXT_FIELD_CHARS),
            required=False, help_text=f"at most {MAX_TEXTS} (by default) are scored; more are cut with a notice",
        )
        conversation_id = serializers.IntegerField(required=False, min_value=1)
        dataset_version_id = serializers.IntegerField(required=False, min_value=1)
        version_id = serializers.IntegerField(required=False, min_value=1)

        class Meta:
            ref_name = "PersonalityScoreInput"

    Output = PersonalityScoreOutput

    @extend_schema(operation_id="personalities_score", request=Input, responses=Output)
    def post(self, request, personality_id: int):
        personality_get(user=request.user, personality_id=personality_id)  # 404 comes before 400
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        report = personality_score(user=request.user, personality_id=personality_id, **data.validated_data)
        return Response(self.Output(asdict(report)).data)
