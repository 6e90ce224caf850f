"""A collection's knowledge graph: entities (one node per real thing, with the spellings it
goes by), the relations between them found in one sentence of a chunk, and where each entity
is mentioned. Every row carries its owner and collection, like chunks, so graph queries
filter by them in SQL; rows hang off chunks (CASCADE), so re-embedding or deleting a document
takes its part of the graph with it. An entity is its collection owner's (it may gather
mentions from several members' documents) and keeps its number of edges, so a graph's
best-connected nodes are read from an index."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from pgvector.django import HnswIndex, VectorField

from apps.core.models import OwnedModel
from apps.rag.models import EMBEDDING_DIM


class Entity(OwnedModel):
    collection = models.ForeignKey("rag.Collection", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)  # the most frequent spelling
    normalized_name = models.CharField(max_length=200)  # ml.knowledge.merge.normalize_name(name)
    label = models.CharField(max_length=32)  # spaCy's PERSON, ORG, GPE...; MISC; CONCEPT
    aliases = models.JSONField(default=list, blank=True)  # the other spellings, as written
    # The aliases normalized, for lookups by any spelling through the GIN index.
    alias_keys = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    embedding = VectorField(dimensions=EMBEDDING_DIM)  # of `name`, to link similar spellings
    # Its edges, either end; kept by apps.knowledge.services whenever edges change.
    degree = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "normalized_name"],
                                    name="knowledge_entity_collection_name"),
        ]
        indexes = [
            models.Index(fields=["owner", "collection"], name="knowledge_entity_owner_coll"),
            models.Index(fields=["collection", "-degree"], name="knowledge_entity_coll_degree"),
            GinIndex(fields=["alias_keys"], name="knowledge_entity_alias_gin"),
            HnswIndex(name="knowledge_entity_embedding_hnsw", fields=["embedding"], m=16,
                      ef_construction=64, opclasses=["vector_cosine_ops"]),
        ]
        verbose_name_plural = "entities"

    def __str__(self) -> str:
        return self.name


class Relation(OwnedModel):
    collection = models.ForeignKey("rag.Collection", on_delete=models.CASCADE, related_name="+")
    subject = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="relations_out")
    object = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="relations_in")
    predicate = models.CharField(max_length=200)  # as written: "was born in"
    chunk = models.ForeignKey("rag.Chunk", on_delete=models.CASCADE, related_name="+")
    sentence = models.TextField()  # the sentence the relation was read from
    # Its character offsets in the chunk's text, so a citation can point at it.
    sentence_start = models.PositiveIntegerField()
    sentence_end = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["subject"], name="knowledge_relation_subject"),
            models.Index(fields=["object"], name="knowledge_relation_object"),
            models.Index(fields=["owner", "collection"], name="knowledge_relation_owner_coll"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.predicate} {self.object_id}"


class Mention(OwnedModel):
    collection = models.ForeignKey("rag.Collection", on_delete=models.CASCADE, related_name="+")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="mentions")
    chunk = models.ForeignKey("rag.Chunk", on_delete=models.CASCADE, related_name="+")
    start = models.PositiveIntegerField()  # character offsets in the chunk's text
    end = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["entity"], name="knowledge_mention_entity")]
