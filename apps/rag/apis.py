"""RAG API: collections, document uploads, and search over the documents a user can read
(their own, their teams' and those shared with them)."""

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.access import Action
from apps.core.access_api import SCOPE_PARAMETER, access_role_field, scope_of
from apps.core.pagination import paginate, paginated_schema

from . import services
from .retrieval import MODES, rag_retrieve
from .selectors import (
    collection_get,
    collection_list,
    document_chunk_get,
    document_get,
    document_list,
)
from .storage import check_size

# Multipart framing around the file: a request this much over the cap is refused unread.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class CollectionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    chunk_size = serializers.IntegerField()
    chunk_overlap = serializers.IntegerField()
    document_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    access_role = access_role_field()

    class Meta:
        ref_name = "RagCollection"


class DocumentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    collection_id = serializers.IntegerField()
    name = serializers.CharField()
    format = serializers.CharField()
    size_bytes = serializers.IntegerField()
    sha256 = serializers.CharField()
    status = serializers.CharField(help_text="pending, processing, ready or failed")
    error = serializers.CharField(help_text="why embedding failed; empty otherwise")
    chunk_count = serializers.IntegerField()
    graph_status = serializers.CharField(
        help_text="its part of the collection's knowledge graph: pending, building, ready, failed, "
                  "or empty (no entity was found in it)")
    entity_count = serializers.IntegerField()
    relation_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    access_role = access_role_field()

    class Meta:
        ref_name = "RagDocument"


class SentenceSerializer(serializers.Serializer):
    text = serializers.CharField()
    start = serializers.IntegerField(help_text="offset in the chunk's text")
    end = serializers.IntegerField()
    relation_id = serializers.IntegerField()

    class Meta:
        ref_name = "RagSearchSentence"


class CollectionListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        chunk_size = serializers.IntegerField(
            required=False, default=160, min_value=1, max_value=services.MAX_CHUNK_SIZE
        )
        chunk_overlap = serializers.IntegerField(required=False, default=32, min_value=0)

        class Meta:
            ref_name = "RagCollectionCreate"

    @extend_schema(
        operation_id="rag_collections_list",
        parameters=[SCOPE_PARAMETER],
        responses=paginated_schema(CollectionOutput, "RagCollection"),
    )
    def get(self, request):
        collections = collection_list(user=request.user, scope=scope_of(request))
        return paginate(request, self, collections, CollectionOutput)

    @extend_schema(
        operation_id="rag_collections_create",
        request=InputSerializer,
        responses={201: CollectionOutput},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        collection = services.collection_create(user=request.user, **data.validated_data)
        collection = collection_get(user=request.user, collection_id=collection.pk)
        return Response(CollectionOutput(collection).data, status=status.HTTP_201_CREATED)


class CollectionDetailApi(APIView):
    class UpdateSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200, required=False)
        description = serializers.CharField(required=False, allow_blank=True)
        chunk_size = serializers.IntegerField(
            required=False, min_value=1, max_value=services.MAX_CHUNK_SIZE
        )
        chunk_overlap = serializers.IntegerField(required=False, min_value=0)

        class Meta:
            ref_name = "RagCollectionUpdate"

    @extend_schema(operation_id="rag_collections_retrieve", responses=CollectionOutput)
    def get(self, request, collection_id: int):
        collection = collection_get(user=request.user, collection_id=collection_id)
        return Response(CollectionOutput(collection).data)

    @extend_schema(
        operation_id="rag_collections_update", request=UpdateSerializer, responses=CollectionOutput
    )
    def patch(self, request, collection_id: int):
        collection_get(user=request.user, collection_id=collection_id, action=Action.EDIT)  # 404/403 before 400
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.collection_update(user=request.user, collection_id=collection_id, **data.validated_data)
        return Response(CollectionOutput(collection_get(user=request.user, collection_id=collection_id)).data)

    @extend_schema(operation_id="rag_collections_delete", responses={204: None})
    def delete(self, request, collection_id: int):
        services.collection_delete(user=request.user, collection_id=collection_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentListUploadApi(APIView):
    parser_classes = [MultiPartParser]

    class UploadSerializer(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True)

        class Meta:
            ref_name = "RagDocumentUpload"

    @extend_schema(
        operation_id="rag_documents_list", parameters=[SCOPE_PARAMETER],
        responses=paginated_schema(DocumentOutput, "RagDocument"),
    )
    def get(self, request, collection_id: int):
        documents = document_list(user=request.user, collection_id=collection_id, scope=scope_of(request))
        return paginate(request, self, documents, DocumentOutput)

    @extend_schema(
        operation_id="rag_documents_upload",
        request={"multipart/form-data": UploadSerializer},
        responses={201: DocumentOutput},
    )
    def post(self, request, collection_id: int):
        # Access first, then the size, both before the body is read.
        collection_get(user=request.user, collection_id=collection_id, action=Action.EDIT)
        check_size(int(request.META.get("CONTENT_LENGTH") or 0) - MULTIPART_OVERHEAD_BYTES)
        data = self.UploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.document_upload(
            user=request.user, collection_id=collection_id, uploaded=data.validated_data["file"]
        )
        document = document_get(user=request.user, document_id=document.pk)
        return Response(DocumentOutput(document).data, status=status.HTTP_201_CREATED)


class DocumentDetailApi(APIView):
    @extend_schema(operation_id="rag_documents_retrieve", responses=DocumentOutput)
    def get(self, request, document_id: int):
        return Response(
            DocumentOutput(document_get(user=request.user, document_id=document_id)).data
        )

    @extend_schema(operation_id="rag_documents_delete", responses={204: None})
    def delete(self, request, document_id: int):
        services.document_delete(user=request.user, document_id=document_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentChunkApi(APIView):
    class OutputSerializer(serializers.Serializer):
        document_id = serializers.IntegerField(source="document.pk")
        document_name = serializers.CharField(source="document.name")
        collection_id = serializers.IntegerField(source="document.collection_id")
        chunk_count = serializers.IntegerField(source="document.chunk_count")
        index = serializers.IntegerField(help_text="the chunk's place in the document, from 0")
        text = serializers.CharField(help_text="the chunk's text; sentence offsets (citations, graph facts) "
                                               "count characters in it")
        previous_index = serializers.IntegerField(allow_null=True, help_text="null at the first chunk")
        next_index = serializers.IntegerField(allow_null=True, help_text="null at the last chunk")

        class Meta:
            ref_name = "RagDocumentChunk"

    @extend_schema(operation_id="rag_document_chunks_retrieve", responses=OutputSerializer)
    def get(self, request, document_id: int, chunk_index: int):
        place = document_chunk_get(user=request.user, document_id=document_id, chunk_index=chunk_index)
        return Response(self.OutputSerializer(place).data)


class SearchApi(APIView):
    class InputSerializer(serializers.Serializer):
        query = serializers.CharField(max_length=1000)
        collection_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1),
            required=False,
            default=list,
            max_length=100,
            help_text="empty or absent: all of your collections",
        )
        k = serializers.IntegerField(required=False, default=5, min_value=1, max_value=50)
        mode = serializers.ChoiceField(choices=MODES, required=False, default="hybrid")

        class Meta:
            ref_name = "RagSearch"

    class OutputSerializer(serializers.Serializer):
        class ResultSerializer(serializers.Serializer):
            chunk_id = serializers.IntegerField()
            document_id = serializers.IntegerField()
            document_name = serializers.CharField()
            collection_id = serializers.IntegerField()
            chunk_index = serializers.IntegerField()
            text = serializers.CharField()
            score = serializers.FloatField()
            vector_score = serializers.FloatField(allow_null=True)
            text_score = serializers.FloatField(allow_null=True)
            sentences = SentenceSerializer(many=True, help_text="graph modes: the sentences its edges were read from")

            class Meta:
                ref_name = "RagSearchResult"

        query = serializers.CharField()
        mode = serializers.CharField()
        results = ResultSerializer(many=True)

        class Meta:
            ref_name = "RagSearchResponse"

    @extend_schema(operation_id="rag_search", request=InputSerializer, responses=OutputSerializer)
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        results = rag_retrieve(user=request.user, **data.validated_data)
        body = {
            "query": data.validated_data["query"],
            "mode": data.validated_data["mode"],
            "results": [asdict(result) for result in results],
        }
        return Response(self.OutputSerializer(body).data)
