"""Collections of a user's documents, the documents, and their embedded chunks. Chunks carry
the owner too, so every retrieval query can filter by owner in SQL without a join."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from pgvector.django import HnswIndex, VectorField

from apps.core.models import OwnedModel

EMBEDDING_DIM = 384  # all-MiniLM-L6-v2
# How the sources of a chat reply are found, as conversations and /v1 offer it: hybrid search,
# the knowledge graph, or both (apps.rag.retrieval; search also offers vector and text alone).
GROUNDING_MODES = ("hybrid", "graph", "hybrid+graph")
# Full-text search configuration; the generated column and every query use the same one.
TS_CONFIG = "english"


class Collection(OwnedModel):
    # Set once the object is moved into a team's ownership; see apps.core.access. A team
    # being deleted hands its objects to the owner who deletes it (apps.teams.services).
    team = models.ForeignKey("teams.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # Words per chunk: all-MiniLM-L6-v2 reads 256 tokens, about 190 English words.
    chunk_size = models.PositiveIntegerField(default=160)
    # Words repeated from the end of one chunk at the start of the next, so an answer that
    # straddles a boundary is still whole in one chunk.
    chunk_overlap = models.PositiveIntegerField(default=32)

    class Meta:
        ordering = ["-created_at", "-id"]
        # One name per owner among their private collections (see Experiment).
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], condition=models.Q(team__isnull=True),
                                    name="rag_collection_owner_name")
        ]

    def __str__(self) -> str:
        return self.name


class Document(OwnedModel):
    class Format(models.TextChoices):
        TXT = "txt"
        MD = "md"
        HTML = "html"
        PDF = "pdf"

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        READY = "ready"
        FAILED = "failed"

    class GraphStatus(models.TextChoices):
        PENDING = "pending"
        BUILDING = "building"
        READY = "ready"
        EMPTY = "empty"  # built, and no entity was found
        FAILED = "failed"

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="documents")
    # The name the client gave the file: shown to people, never used to build a path.
    name = models.CharField(max_length=255)
    format = models.CharField(max_length=8, choices=Format.choices)
    size_bytes = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    # Extracted once at upload, so a bad file is refused while the uploader waits.
    text = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    chunk_count = models.PositiveIntegerField(default=0)
    # Its part of the collection's knowledge graph (apps.knowledge), built after embedding:
    # "empty" says no entity was found in it.
    graph_status = models.CharField(max_length=16, choices=GraphStatus.choices, default=GraphStatus.PENDING)
    entity_count = models.PositiveIntegerField(default=0)
    relation_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Chunk(OwnedModel):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    text = models.TextField()
    embedding = VectorField(dimensions=EMBEDDING_DIM)
    # Kept by PostgreSQL itself from `text`, so it can never disagree with it.
    search_vector = models.GeneratedField(
        expression=SearchVector("text", config=TS_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["document_id", "index"]
        constraints = [
            models.UniqueConstraint(fields=["document", "index"], name="rag_chunk_document_index")
        ]
        indexes = [
            models.Index(fields=["owner", "collection"], name="rag_chunk_owner_collection"),
            HnswIndex(
                name="rag_chunk_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
            GinIndex(fields=["search_vector"], name="rag_chunk_search_gin"),
        ]
