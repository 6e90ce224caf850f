"""Chat REST API: conversations (list with search, create, get with messages, update,
delete), how their replies measure against the personality, sending a message without the
socket, feedback on replies, exporting feedback as a dataset, and the user's generation quota. Replies stream over `/ws/chat/<id>/`."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.access_api import SCOPE_PARAMETER, access_role_field, scope_of
from apps.core.pagination import paginate, paginated_schema
from apps.endpoints.selectors import remote_model_id
from apps.personalities.serializers import PersonalityScoreOutput

from . import services
from .models import Conversation, Message
from .quotas import quota_status
from .realtime import MESSAGE_FIELDS
from .selectors import conversation_get, conversation_list, conversation_personality_trend


class SettingsSerializer(serializers.Serializer):
    """Sampling settings; null keeps the personality's or the model file's default."""

    temperature = serializers.FloatField(min_value=0.0, max_value=2.0, required=False, allow_null=True)
    top_p = serializers.FloatField(min_value=0.01, max_value=1.0, required=False, allow_null=True)
    top_k = serializers.IntegerField(min_value=0, max_value=1000, required=False, allow_null=True)
    min_p = serializers.FloatField(min_value=0.0, max_value=1.0, required=False, allow_null=True)
    repetition_penalty = serializers.FloatField(min_value=0.5, max_value=2.0, required=False, allow_null=True)
    max_tokens = serializers.IntegerField(min_value=1, max_value=32768, required=False, allow_null=True)
    seed = serializers.IntegerField(min_value=0, max_value=2**63 - 1, required=False, allow_null=True)
    steering_strength = serializers.FloatField(min_value=-10.0, max_value=10.0, required=False, allow_null=True)


class ConversationInputSerializer(SettingsSerializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    model_version_id = serializers.IntegerField(required=False, allow_null=True,
                                                help_text="the model version to talk to; or give a remote model")
    remote_endpoint_id = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, allow_null=True,
        help_text="one of your remote endpoints (GET /api/v1/endpoints/), with remote_model")
    remote_model = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                         help_text="a model id the endpoint lists")
    qtype = serializers.CharField(max_length=8, required=False, allow_blank=True)
    personality_id = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, allow_null=True,
        help_text="a built-in personality or one of yours (GET /api/v1/personalities/); replies "
                  "speak as its current version; null for none")
    personality = serializers.CharField(
        max_length=100, required=False, allow_blank=True,
        help_text="deprecated, use personality_id: a built-in's name or archetype (\"sage\") or "
                  "the name of one of yours; \"\" for none")
    system_prompt = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    collection_ids = serializers.ListField(child=serializers.IntegerField(min_value=1),
                                           max_length=20, required=False)
    retrieval_mode = serializers.ChoiceField(
        choices=Conversation.RetrievalMode.choices, required=False,
        help_text="how sources are found in the collections: hybrid (default), graph or hybrid+graph")

    class Meta:
        ref_name = "ConversationCreate"


class MessageOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = [*MESSAGE_FIELDS, "created_at"]
        ref_name = "ChatMessage"


class ConversationPersonalitySerializer(serializers.Serializer):
    """The personality version a conversation speaks as."""

    id = serializers.IntegerField(source="personality_id", help_text="the personality")
    name = serializers.CharField(source="personality.name")
    kind = serializers.CharField(source="personality.kind")
    builtin = serializers.BooleanField(source="personality.builtin")
    version_id = serializers.IntegerField(source="pk")
    version_number = serializers.IntegerField(source="number")
    # A newer version exists: choosing the personality again moves the conversation to it.
    outdated = serializers.SerializerMethodField()

    class Meta:
        ref_name = "ConversationPersonality"

    def get_outdated(self, version) -> bool:
        return version.personality.current_version_id != version.pk


class ConversationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    model_version_id = serializers.IntegerField(allow_null=True)
    remote_endpoint_id = serializers.IntegerField(allow_null=True)
    remote_model = serializers.CharField()
    model_name = serializers.SerializerMethodField()
    qtype = serializers.CharField()
    personality = ConversationPersonalitySerializer(source="personality_version", allow_null=True)
    system_prompt = serializers.CharField()
    temperature = serializers.FloatField(allow_null=True)
    top_p = serializers.FloatField(allow_null=True)
    top_k = serializers.IntegerField(allow_null=True)
    min_p = serializers.FloatField(allow_null=True)
    repetition_penalty = serializers.FloatField(allow_null=True)
    max_tokens = serializers.IntegerField(allow_null=True)
    seed = serializers.IntegerField(allow_null=True)
    steering_strength = serializers.FloatField(allow_null=True)
    collection_ids = serializers.SerializerMethodField()
    retrieval_mode = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    access_role = access_role_field()

    class Meta:
        ref_name = "Conversation"

    def get_model_name(self, conversation) -> str | None:
        if conversation.remote_endpoint_id is not None:
            return remote_model_id(conversation.remote_endpoint.name, conversation.remote_model)
        return str(conversation.model_version) if conversation.model_version else None

    def get_collection_ids(self, conversation) -> list[int]:
        return [collection.pk for collection in conversation.collections.all()]


class ConversationDetailSerializer(ConversationOutputSerializer):
    messages = MessageOutputSerializer(many=True, source="messages.all")

    class Meta:
        ref_name = "ConversationDetail"


class ConversationListCreateApi(APIView):
    @extend_schema(
        operation_id="chat_conversations_list",
        parameters=[OpenApiParameter("search", str, description="text in the title or any message"),
                    SCOPE_PARAMETER],
        responses=paginated_schema(ConversationOutputSerializer, "Conversation"),
        description="Your conversations and those shared with your teams (read-only: only their "
                    "owner sends, changes or deletes; others get 403).",
    )
    def get(self, request):
        queryset = conversation_list(user=request.user, search=request.query_params.get("search", ""),
                                     scope=scope_of(request))
        return paginate(request, self, queryset, ConversationOutputSerializer)

    @extend_schema(operation_id="chat_conversations_create", request=ConversationInputSerializer,
                   responses={201: ConversationDetailSerializer})
    def post(self, request):
        serializer = ConversationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        conversation = services.conversation_create(user=request.user, **serializer.validated_data)
        detail = conversation_get(user=request.user, conversation_id=conversation.pk)
        return Response(ConversationDetailSerializer(detail).data, status=status.HTTP_201_CREATED)


class ConversationDetailApi(APIView):
    class UpdateSerializer(ConversationInputSerializer):

        class Meta:
            ref_name = "ConversationUpdate"

    @extend_schema(operation_id="chat_conversations_retrieve", responses=ConversationDetailSerializer)
    def get(self, request, conversation_id: int):
        detail = conversation_get(user=request.user, conversation_id=conversation_id)
        return Response(ConversationDetailSerializer(detail).data)

    @extend_schema(operation_id="chat_conversations_update", request=UpdateSerializer,
                   responses=ConversationDetailSerializer)
    def patch(self, request, conversation_id: int):
        serializer = self.UpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.conversation_update(user=request.user, conversation_id=conversation_id,
                                     **serializer.validated_data)
        detail = conversation_get(user=request.user, conversation_id=conversation_id)
        return Response(ConversationDetailSerializer(detail).data)

    @extend_schema(operation_id="chat_conversations_delete", responses={204: None})
    def delete(self, request, conversation_id: int):
        services.conversation_delete(user=request.user, conversation_id=conversation_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConversationPersonalityTrendApi(APIView):
    """How each finished reply measures against the conversation's personality (its
    alignment and every metric, with the reply's message id) and their mean and spread."""

    class InputSerializer(serializers.Serializer):
        personality_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)

        class Meta:
            ref_name = "ChatPersonalityTrendQuery"

    @extend_schema(
        operation_id="chat_conversations_personality_trend",
        parameters=[OpenApiParameter(
            "personality_id", int, description="score against this personality's current version "
                                               "instead of the conversation's own")],
        responses=PersonalityScoreOutput,
    )
    def get(self, request, conversation_id: int):
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = conversation_personality_trend(user=request.user, conversation_id=conversation_id,
                                                **query.validated_data)
        return Response(PersonalityScoreOutput(asdict(report)).data)


class MessageSendApi(APIView):
    """Send without the socket; the reply streams to the conversation's socket as usual."""

    # A spent chat quota answers 429 with Retry-After (apps.chat.quotas), documented in the schema.
    answers_too_many_requests = True

    class InputSerializer(serializers.Serializer):
        content = serializers.CharField(max_length=services.MAX_MESSAGE_CHARS, trim_whitespace=False)

        class Meta:
            ref_name = "ChatMessageSend"

    class OutputSerializer(serializers.Serializer):
        message = MessageOutputSerializer()
        reply = MessageOutputSerializer()

        class Meta:
            ref_name = "ChatMessageSent"

    @extend_schema(operation_id="chat_messages_send", request=InputSerializer,
                   responses={202: OutputSerializer})
    def post(self, request, conversation_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message, reply = services.message_send(user=request.user, conversation_id=conversation_id,
                                               content=serializer.validated_data["content"])
        data = self.OutputSerializer({"message": message, "reply": reply}).data
        return Response(data, status=status.HTTP_202_ACCEPTED)


class MessageFeedbackApi(APIView):
    class InputSerializer(serializers.Serializer):
        rating = serializers.ChoiceField(choices=["up", "down", ""], required=False)
        edited_content = serializers.CharField(max_length=services.MAX_MESSAGE_CHARS, required=False,
                                               allow_blank=True, trim_whitespace=False)

        class Meta:
            ref_name = "ChatFeedback"

        def validate(self, attrs):
            if not attrs:
                raise serializers.ValidationError("give a rating, an edited_content, or both")
            return attrs

    @extend_schema(operation_id="chat_messages_feedback", request=InputSerializer,
                   responses=MessageOutputSerializer)
    def post(self, request, message_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = services.message_feedback(user=request.user, message_id=message_id,
                                            **serializer.validated_data)
        return Response(MessageOutputSerializer(message).data)


class FeedbackExportApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200, required=False, allow_blank=True)
        kind = serializers.ChoiceField(
            choices=services.EXPORT_KINDS, default="pairs",
            help_text="pairs: {prompt, response} of liked or corrected replies (fine-tuning); "
                      "preferences: {prompt (the conversation's messages), chosen, rejected} of "
                      "thumbs-down replies against their liked successor or your correction (DPO)")

        class Meta:
            ref_name = "ChatFeedbackExport"

    class OutputSerializer(serializers.Serializer):
        dataset_id = serializers.IntegerField(source="version.dataset_id")
        dataset_version_id = serializers.IntegerField(source="version.pk")
        pairs = serializers.IntegerField(help_text="records exported")

        class Meta:
            ref_name = "ChatFeedbackExported"

    @extend_schema(operation_id="chat_feedback_export", request=InputSerializer,
                   responses={201: OutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version, pairs = services.feedback_export(user=request.user, **serializer.validated_data)
        return Response(self.OutputSerializer({"version": version, "pairs": pairs}).data,
                        status=status.HTTP_201_CREATED)


class QuotaApi(APIView):
    class OutputSerializer(serializers.Serializer):
        tokens_per_day = serializers.IntegerField(allow_null=True, help_text="null: unlimited")
        tokens_used_today = serializers.IntegerField()
        resets_at = serializers.DateTimeField()
        max_concurrent = serializers.IntegerField(allow_null=True, help_text="null: unlimited")
        running = serializers.IntegerField()

        class Meta:
            ref_name = "ChatQuota"

    @extend_schema(operation_id="chat_quota_retrieve", responses=OutputSerializer)
    def get(self, request):
        return Response(self.OutputSerializer(quota_status(user_id=request.user.pk)).data)
