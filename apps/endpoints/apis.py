"""Remote endpoint API under /api/v1/endpoints/: list and register, read, change and delete
one, refresh its model list. The API key is write-only: answers carry its hint."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.pagination import paginate, paginated_schema

from . import selectors, services
from .services import MAX_KEY_CHARS


class EndpointModelOutput(serializers.Serializer):
    id = serializers.CharField(help_text="the name /v1 knows it by: remote/<endpoint>/<model>")
    model = serializers.CharField(help_text="the model id the endpoint lists")


class EndpointOutput(serializers.Serializer):

    id = serializers.IntegerField()
    name = serializers.CharField()
    base_url = serializers.CharField()
    api_key_hint = serializers.CharField(help_text="the key's last four characters; empty without a key")
    models = serializers.SerializerMethodField()
    models_fetched_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(help_text="why the last refresh failed; empty when it worked")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(EndpointModelOutput(many=True))
    def get_models(self, endpoint) -> list[dict]:
        return [{"id": selectors.remote_model_id(endpoint.name, model), "model": model} for model in endpoint.model_ids]


class EndpointListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=64)
        base_url = serializers.CharField(max_length=500, help_text="e.g. https://api.example.com/v1")
        api_key = serializers.CharField(max_length=MAX_KEY_CHARS, required=False, allow_blank=True, default="",
                                        write_only=True)

        class Meta:
            ref_name = "EndpointCreate"

    @extend_schema(operation_id="endpoints_list", responses=paginated_schema(EndpointOutput, "Endpoint"))
    def get(self, request):
        return paginate(request, self, selectors.endpoint_list(user=request.user), EndpointOutput)

    @extend_schema(operation_id="endpoints_create", request=InputSerializer, responses={201: EndpointOutput})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.endpoint_create(user=request.user, **data.validated_data)
        return Response(EndpointOutput(endpoint).data, status=status.HTTP_201_CREATED)


class EndpointDetailApi(APIView):
    class UpdateSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=64, required=False)
        base_url = serializers.CharField(max_length=500, required=False)
        api_key = serializers.CharField(max_length=MAX_KEY_CHARS, required=False, allow_blank=True,
                                        write_only=True, help_text="empty removes the key")

        class Meta:
            ref_name = "EndpointUpdate"

    @extend_schema(operation_id="endpoints_retrieve", responses=EndpointOutput)
    def get(self, request, endpoint_id: int):
        return Response(EndpointOutput(selectors.endpoint_get(user=request.user, endpoint_id=endpoint_id)).data)

    @extend_schema(operation_id="endpoints_update", request=UpdateSerializer, responses=EndpointOutput)
    def patch(self, request, endpoint_id: int):
        selectors.endpoint_get(user=request.user, endpoint_id=endpoint_id)  # 404 before 400
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.endpoint_update(user=request.user, endpoint_id=endpoint_id, **data.validated_data)
        return Response(EndpointOutput(endpoint).data)

    @extend_schema(operation_id="endpoints_delete", responses={204: None})
    def delete(self, request, endpoint_id: int):
        services.endpoint_delete(user=request.user, endpoint_id=endpoint_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointRefreshApi(APIView):
    @extend_schema(operation_id="endpoints_refresh", request=None, responses=EndpointOutput)
    def post(self, request, endpoint_id: int):
        endpoint = services.endpoint_refresh(user=request.user, endpoint_id=endpoint_id)
        return Response(EndpointOutput(endpoint).data)
