"""Recipe and feature store API: recipes (editing the steps adds a version), a synchronous
bounded preview of the first records after each step, runs (queue, list, show with their
report and outputs, cancel, re-run), the feature registry, a dataset version's materialized
features with statistics, the comparison of two versions and the records browser. A bad step
is a 400 whose field is `steps.<index>.<option>`. Live changes arrive on the notifications
socket as `recipe_run.progress`, `recipe_run.finished` and `features.materialized`."""

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.access_api import SCOPE_PARAMETER, access_role_field, scope_of
from apps.core.pagination import paginate, paginated_schema

from . import services
from .models import FeatureMaterialization, Recipe, RecipeRun, RecipeRunOutput
from .selectors import (
    RECORDS_MAX_LIMIT,
    RECORDS_MAX_OFFSET,
    dataset_version_records,
    feature_group_list,
    feature_materializations,
    features_compare,
    recipe_get,
    recipe_list,
    recipe_run_get,
    recipe_run_list,
    recipe_version_numbers,
)

STEPS_HELP = ('Steps in order, each {"type": ..., options}: normalize, length_filter, language_filter, '
              "regex_filter, feature_filter, sample, dedup_exact, dedup_near, pii_scrub, template, split "
              "(last), mix (first).")


class RecipeOutput(serializers.ModelSerializer):
    version = serializers.IntegerField(read_only=True, help_text="the latest version's number")
    steps = serializers.ListField(child=serializers.DictField(), read_only=True, help_text="the latest version's")
    versions = serializers.SerializerMethodField()
    access_role = access_role_field()

    class Meta:
        model = Recipe
        fields = ["id", "name", "description", "version", "steps", "versions", "created_at", "updated_at",
                  "access_role"]
        ref_name = "Recipe"

    @extend_schema_field(inline_serializer(name="RecipeVersionRef", many=True, fields={
        "number": serializers.IntegerField(), "created_at": serializers.DateTimeField()}))
    def get_versions(self, recipe) -> list[dict]:
        return [{"number": v["number"], "created_at": v["created_at"]} for v in recipe_version_numbers(recipe=recipe)]


class RecipeListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        steps = serializers.ListField(child=serializers.DictField(), allow_empty=True, help_text=STEPS_HELP)
        team_id = serializers.IntegerField(required=False, allow_null=True,
                                           help_text="create it in this team (you must be a member or above)")

        class Meta:
            ref_name = "RecipeCreate"

    @extend_schema(operation_id="recipes_list", parameters=[SCOPE_PARAMETER],
                   responses=paginated_schema(RecipeOutput, "Recipe"))
    def get(self, request):
        return paginate(request, self, recipe_list(user=request.user, scope=scope_of(request)), RecipeOutput)

    @extend_schema(operation_id="recipes_create", request=InputSerializer, responses={201: RecipeOutput})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recipe = services.recipe_create(user=request.user, **data.validated_data)
        return Response(RecipeOutput(recipe_get(user=request.user, recipe_id=recipe.pk)).data,
                        status=status.HTTP_201_CREATED)


class RecipeDetailApi(APIView):
    class UpdateInput(serializers.Serializer):
        name = serializers.CharField(max_length=200, required=False)
        description = serializers.CharField(required=False, allow_blank=True)
        steps = serializers.ListField(child=serializers.DictField(), required=False, allow_empty=True,
                                      help_text="new steps make a new version")

        class Meta:
            ref_name = "RecipeUpdate"

    @extend_schema(operation_id="recipes_retrieve", responses=RecipeOutput)
    def get(self, request, recipe_id: int):
        return Response(RecipeOutput(recipe_get(user=request.user, recipe_id=recipe_id)).data)

    @extend_schema(operation_id="recipes_update", request=UpdateInput, responses=RecipeOutput)
    def patch(self, request, recipe_id: int):
        data = self.UpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.recipe_update(user=request.user, recipe_id=recipe_id, **data.validated_data)
        return Response(RecipeOutput(recipe_get(user=request.user, recipe_id=recipe_id)).data)

    @extend_schema(operation_id="recipes_delete", responses={204: None})
    def delete(self, request, recipe_id: int):
        services.recipe_delete(user=request.user, recipe_id=recipe_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StepPreviewOutput(serializers.Serializer):
    index = serializers.IntegerField()
    type = serializers.CharField()
    records_in = serializers.IntegerField()
    records_out = serializers.IntegerField()
    records = serializers.ListField(child=serializers.DictField())
    stopped = serializers.BooleanField(help_text="the preview's time budget ran out: the counts and records "
                                       "are what the steps got through")

    class Meta:
        ref_name = "RecipeStepPreview"


class RecipePreviewApi(APIView):
    class InputSerializer(serializers.Serializer):
        steps = serializers.ListField(child=serializers.DictField(), allow_empty=True, help_text=STEPS_HELP)
        inputs = serializers.ListField(child=serializers.IntegerField(), help_text="dataset version ids, in order")
        limit = serializers.IntegerField(min_value=1, max_value=services.PREVIEW_MAX_LIMIT, default=5)

        class Meta:
            ref_name = "RecipePreviewInput"

    @extend_schema(operation_id="recipes_preview", request=InputSerializer, responses=inline_serializer(
        name="RecipePreview", fields={"steps": StepPreviewOutput(many=True)}))
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        steps = services.recipe_preview(user=request.user, steps=data.validated_data["steps"],
                                        input_ids=data.validated_data["inputs"], limit=data.validated_data["limit"])
        return Response({"steps": StepPreviewOutput(steps, many=True).data})


class RunOutputOutput(serializers.ModelSerializer):
    dataset = serializers.IntegerField(source="dataset_version.dataset_id", read_only=True)
    dataset_name = serializers.CharField(source="dataset_version.dataset.name", read_only=True)
    number = serializers.IntegerField(source="dataset_version.number", read_only=True)

    class Meta:
        model = RecipeRunOutput
        fields = ["part", "dataset_version", "dataset", "dataset_name", "number", "records"]
        ref_name = "RecipeRunOutput"


class RecipeRunOutputSerializer(serializers.ModelSerializer):
    # From the run's own copy once the recipe is deleted (`recipe` then names it no more).
    recipe = serializers.IntegerField(source="recipe_ran.recipe", read_only=True)
    recipe_name = serializers.CharField(source="recipe_ran.name", read_only=True)
    recipe_version = serializers.IntegerField(source="recipe_ran.number", read_only=True)
    steps = serializers.ListField(source="recipe_ran.steps", child=serializers.DictField(), read_only=True)
    outputs = RunOutputOutput(many=True, read_only=True)
    access_role = access_role_field()

    class Meta:
        model = RecipeRun
        fields = ["id", "recipe", "recipe_name", "recipe_version", "steps", "inputs", "output_name", "status",
                  "progress", "report", "error", "cancel_requested", "outputs", "created_at", "started_at",
                  "finished_at", "access_role"]
        ref_name = "RecipeRun"


class RecipeRunCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        inputs = serializers.ListField(child=serializers.IntegerField(), help_text="dataset version ids, in order")
        output_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                            help_text="a new dataset (one per split part) named this")
        output_dataset_id = serializers.IntegerField(required=False, allow_null=True,
                                                     help_text="or an existing dataset the outputs become versions of")
        version = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                           help_text="the recipe version to run; the latest when omitted")

        class Meta:
            ref_name = "RecipeRunCreate"

    @extend_schema(operation_id="recipes_run", request=InputSerializer, responses={202: RecipeRunOutputSerializer})
    def post(self, request, recipe_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        run = services.recipe_run_create(
            user=request.user, recipe_id=recipe_id, input_ids=values["inputs"], output_name=values["output_name"],
            output_dataset_id=values.get("output_dataset_id"), version=values.get("version"))
        return Response(RecipeRunOutputSerializer(recipe_run_get(user=request.user, run_id=run.pk)).data,
                        status=status.HTTP_202_ACCEPTED)


class RecipeRunListApi(APIView):
    class Params(serializers.Serializer):
        recipe = serializers.IntegerField(min_value=1, required=False)

    @extend_schema(operation_id="recipe_runs_list",
                   parameters=[OpenApiParameter("recipe", int, description="only this recipe's runs")],
                   responses=paginated_schema(RecipeRunOutputSerializer, "RecipeRun"))
    def get(self, request):
        params = self.Params(data=request.query_params)
        params.is_valid(raise_exception=True)
        runs = recipe_run_list(user=request.user, recipe_id=params.validated_data.get("recipe"))
        return paginate(request, self, runs, RecipeRunOutputSerializer)


class RecipeRunDetailApi(APIView):
    @extend_schema(operation_id="recipe_runs_retrieve", responses=RecipeRunOutputSerializer)
    def get(self, request, run_id: int):
        return Response(RecipeRunOutputSerializer(recipe_run_get(user=request.user, run_id=run_id)).data)


class RecipeRunCancelApi(APIView):
    @extend_schema(operation_id="recipe_runs_cancel", request=None, responses=RecipeRunOutputSerializer)
    def post(self, request, run_id: int):
        services.recipe_run_cancel(user=request.user, run_id=run_id)
        return Response(RecipeRunOutputSerializer(recipe_run_get(user=request.user, run_id=run_id)).data)


class RecipeRunRerunApi(APIView):
    @extend_schema(operation_id="recipe_runs_rerun", request=None, responses={202: RecipeRunOutputSerializer})
    def post(self, request, run_id: int):
        run = services.recipe_run_rerun(user=request.user, run_id=run_id)
        return Response(RecipeRunOutputSerializer(recipe_run_get(user=request.user, run_id=run.pk)).data,
                        status=status.HTTP_202_ACCEPTED)


class FeatureGroupListApi(APIView):
    class Output(serializers.Serializer):
        name = serializers.CharField()
        features = serializers.ListField(child=inline_serializer(name="FeatureDefinition", fields={
            "name": serializers.CharField(), "dtype": serializers.CharField(), "version": serializers.IntegerField(),
            "description": serializers.CharField(), "scope": serializers.CharField()}))

        class Meta:
            ref_name = "FeatureGroup"

    @extend_schema(operation_id="feature_groups_list", responses=Output(many=True))
    def get(self, request):
        return Response(self.Output(feature_group_list(), many=True).data)


class FeatureMaterializationOutput(serializers.ModelSerializer):
    class Meta:
        model = FeatureMaterialization
        fields = ["id", "dataset_version", "group", "feature_versions", "status", "rows", "statistics", "error",
                  "created_at", "finished_at"]
        ref_name = "FeatureMaterialization"


class DatasetVersionFeaturesApi(APIView):
    class InputSerializer(serializers.Serializer):
        groups = serializers.ListField(child=serializers.CharField(max_length=32), allow_empty=False)

        class Meta:
            ref_name = "FeaturesRequest"

    @extend_schema(operation_id="dataset_version_features", responses=FeatureMaterializationOutput(many=True))
    def get(self, request, version_id: int):
        _, materializations = feature_materializations(user=request.user, version_id=version_id)
        return Response(FeatureMaterializationOutput(materializations, many=True).data)

    @extend_schema(operation_id="dataset_version_features_compute", request=InputSerializer,
                   responses={202: FeatureMaterializationOutput(many=True)})
    def post(self, request, version_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = services.features_request(user=request.user, version_id=version_id, groups=data.validated_data["groups"])
        return Response(FeatureMaterializationOutput(done, many=True).data, status=status.HTTP_202_ACCEPTED)


class DatasetVersionFeaturesCompareApi(APIView):
    class Params(serializers.Serializer):
        other = serializers.IntegerField(min_value=1)

    @extend_schema(
        operation_id="dataset_version_features_compare",
        parameters=[OpenApiParameter("other", int, required=True, description="the version to compare with")],
        responses=inline_serializer(name="FeatureComparison", fields={"features": serializers.DictField(
            child=inline_serializer(name="FeatureShift", fields={
                "test": serializers.CharField(), "statistic": serializers.FloatField(allow_null=True),
                "p_value": serializers.FloatField(allow_null=True), "shifted": serializers.BooleanField(),
                "status": serializers.CharField(), "message": serializers.CharField()}))}),
    )
    def get(self, request, version_id: int):
        params = self.Params(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response({"features": features_compare(user=request.user, version_id=version_id,
                                                      other_id=params.validated_data["other"])})


class DatasetVersionRecordsApi(APIView):
    class Params(serializers.Serializer):
        offset = serializers.IntegerField(min_value=0, max_value=RECORDS_MAX_OFFSET, default=0)
        limit = serializers.IntegerField(min_value=1, max_value=RECORDS_MAX_LIMIT, default=20)

    @extend_schema(
        operation_id="dataset_version_records",
        parameters=[OpenApiParameter("offset", int), OpenApiParameter("limit", int),
                    OpenApiParameter("where", str, many=True,
                                     description="<feature>:<min>:<max> (either bound may be empty); repeatable")],
        responses=inline_serializer(name="DatasetVersionRecords", fields={
            "offset": serializers.IntegerField(), "limit": serializers.IntegerField(),
            "next_offset": serializers.IntegerField(allow_null=True),
            "results": serializers.ListField(child=inline_serializer(name="DatasetVersionRecord", fields={
                "index": serializers.IntegerField(), "record": serializers.DictField(),
                "features": serializers.DictField()}))}),
    )
    def get(self, request, version_id: int):
        params = self.Params(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(dataset_version_records(
            user=request.user, version_id=version_id, where=request.query_params.getlist("where"),
            **params.validated_data))

