"""Account API: who am I, and personal API tokens (create, list, revoke)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.pagination import paginate, paginated_schema

from .selectors import api_token_list
from .services import api_token_create, api_token_revoke


class MeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        is_staff = serializers.BooleanField()

        class Meta:
            ref_name = "Me"

    @extend_schema(operation_id="me_retrieve", responses=OutputSerializer)
    def get(self, request):
        return Response(self.OutputSerializer(request.user).data)


class ApiTokenOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "ApiToken"


class ApiTokenListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100, trim_whitespace=True)
        expires_in_days = serializers.IntegerField(
            min_value=1, max_value=3650, required=False, allow_null=True
        )

        class Meta:
            ref_name = "ApiTokenCreate"

    class CreatedSerializer(ApiTokenOutputSerializer):
        token = serializers.CharField(help_text="The secret. It is shown only once.")

        class Meta:
            ref_name = "ApiTokenCreated"

    @extend_schema(
        operation_id="tokens_list", responses=paginated_schema(ApiTokenOutputSerializer, "ApiToken")
    )
    def get(self, request):
        return paginate(request, self, api_token_list(user=request.user), ApiTokenOutputSerializer)

    @extend_schema(
        operation_id="tokens_create", request=InputSerializer, responses={201: CreatedSerializer}
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = api_token_create(user=request.user, **serializer.validated_data)
        data = ApiTokenOutputSerializer(created.token).data | {"token": created.secret}
        return Response(data, status=status.HTTP_201_CREATED)


class ApiTokenRevokeApi(APIView):
    @extend_schema(operation_id="tokens_revoke", responses={204: None})
    def delete(self, request, token_id: int):
        api_token_revoke(user=request.user, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
