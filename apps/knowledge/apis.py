"""Knowledge graph API: a collection's graph (searchable by entity) and one entity with its
neighbours and the sentences behind each edge, each linking to its document and place."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import collection_graph, entity_detail

MAX_NODES = 200


class NodeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    label = serializers.CharField(help_text="PERSON, ORG, GPE... as spaCy tags it; MISC; CONCEPT")
    aliases = serializers.ListField(child=serializers.CharField())
    degree = serializers.IntegerField(help_text="the number of its edges")

    class Meta:
        ref_name = "GraphNode"


class EdgeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.IntegerField(source="subject_id")
    object = serializers.IntegerField(source="object_id")
    predicate = serializers.CharField()

    class Meta:
        ref_name = "GraphEdge"


class NeighbourSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    label = serializers.CharField()

    class Meta:
        ref_name = "GraphNeighbour"


class EdgeDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.IntegerField(source="subject_id")
    subject_name = serializers.CharField(source="subject.name")
    object = serializers.IntegerField(source="object_id")
    object_name = serializers.CharField(source="object.name")
    predicate = serializers.CharField()
    sentence = serializers.CharField(help_text="the sentence the edge was read from")
    document_id = serializers.IntegerField(source="chunk.document.id")
    document_name = serializers.CharField(source="chunk.document.name")
    chunk_index = serializers.IntegerField(source="chunk.index")
    sentence_start = serializers.IntegerField(help_text="offset of the sentence in the chunk's text")
    sentence_end = serializers.IntegerField()

    class Meta:
        ref_name = "GraphEdgeDetail"


class CollectionGraphApi(APIView):
    class QuerySerializer(serializers.Serializer):
        q = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        limit = serializers.IntegerField(min_value=1, max_value=MAX_NODES, required=False, default=50)

        class Meta:
            ref_name = "CollectionGraphQuery"

    class OutputSerializer(serializers.Serializer):
        nodes = NodeOutput(many=True)
        edges = EdgeOutput(many=True)

        class Meta:
            ref_name = "CollectionGraph"

    @extend_schema(
        operation_id="knowledge_collection_graph",
        parameters=[OpenApiParameter("q", str, description="an entity's name or part of it: its "
                                     "matches and their neighbours; empty for the best-connected"),
                    OpenApiParameter("limit", int, description=f"nodes, at most {MAX_NODES} (50)")],
        responses=OutputSerializer,
    )
    def get(self, request, collection_id: int):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        graph = collection_graph(user=request.user, collection_id=collection_id,
                                 search=query.validated_data["q"], limit=query.validated_data["limit"])
        return Response(self.OutputSerializer({"nodes": graph.nodes, "edges": graph.edges}).data)


class EntityDetailApi(APIView):
    class OutputSerializer(NodeOutput):
        collection_id = serializers.IntegerField()
        neighbours = NeighbourSerializer(many=True)
        edges = EdgeDetailSerializer(many=True)

        class Meta:
            ref_name = "GraphEntity"

    @extend_schema(operation_id="knowledge_entity_retrieve", responses=OutputSerializer)
    def get(self, request, entity_id: int):
        detail = entity_detail(user=request.user, entity_id=entity_id)
        entity = detail.entity
        body = {"id": entity.pk, "name": entity.name, "label": entity.label, "aliases": entity.aliases,
                "degree": entity.degree, "collection_id": entity.collection_id,
                "neighbours": detail.neighbours, "edges": detail.edges}
        return Response(self.OutputSerializer(body).data)
