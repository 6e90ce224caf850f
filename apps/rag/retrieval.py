"""Finding the chunks of the documents a user can read that answer a query: nearest
neighbours by cosine over pgvector's HNSW index, PostgreSQL full-text search, or both fused
by reciprocal rank; `graph` and `hybrid+graph` add the chunks behind the knowledge graph's
edges near the query's entities (apps.knowledge.retrieval), fused with hybrid by reciprocal
rank. Every SQL statement here keeps only chunks of the chosen collections that
the access policy lets the user read (apps.core.access), decided in the same statement, so a
collection unshared a moment ago is not searched; chat calls `rag_retrieve` to ground an
answer and cite its sources."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from rest_framework.exceptions import NotFound

from apps.core.access import access_queryset

from .models import GROUNDING_MODES, TS_CONFIG, Chunk, Collection

MODES = (*GROUNDING_MODES, "vector", "text")
GRAPH_MODES = ("graph", "hybrid+graph")
RRF_K = 60  # the constant from Cormack et al. (2009); damps the weight of the very top ranks
# Each ranker proposes this many candidates per result wanted, so fusion has overlap to use.
CANDIDATES_PER_RESULT = 4
MIN_CANDIDATES = 20
# Candidates HNSW keeps while searching; benchmarks/rag_search.py measured recall@10 >= 0.95
# at 100k chunks with this value.
HNSW_EF_SEARCH = 100
# How much the graph's ranking weighs in hybrid+graph against hybrid's fused one:
# benchmarks/graph_rag.py measured two-hop recall@5 0.92 at 1.0 and 0.995 at 1.5, single-hop 1.0 at both.
GRAPH_WEIGHT = 1.5

# `{readable}` is the SQL of the readable chosen collections' ids (`_readable_sql`); its
# parameters come first, then the statement's own.
_VECTOR_SQL = """
    SELECT c.id, 1 - (c.embedding <=> %s::vector) AS similarity
    FROM rag_chunk c
    WHERE c.collection_id IN ({readable})
    ORDER BY c.embedding <=> %s::vector
    LIMIT %s
"""
# `+ 0` keeps the planner off the HNSW index: an exact scan of the rows the filter keeps.
_VECTOR_EXACT_SQL = _VECTOR_SQL.replace(
    "ORDER BY c.embedding <=> %s::vector",
    "ORDER BY (c.embedding <=> %s::vector) + 0",
)
# Questions are sentences, and a chunk rarely holds every word of one: the query's lexemes
# are OR-ed (plainto_tsquery ANDs them) and chunks ranked by how much of it they match.
_TEXT_SQL = """
    SELECT c.id, ts_rank(c.search_vector, q) AS rank
    FROM rag_chunk c,
         to_tsquery(%s::regconfig, replace(
             plainto_tsquery(%s::regconfig, %s)::text, ' & ', ' | ')) q
    WHERE c.collection_id IN ({readable})
      AND c.search_vector @@ q
    ORDER BY rank DESC, c.id
    LIMIT %s
"""


@dataclass(frozen=True)
class RetrievedChunk:
    chunk_id: int
    document_id: int
    document_name: str
    collection_id: int
    chunk_index: int
    text: str
    score: float  # what the results are ordered by: RRF (hybrid), cosine (vector), rank (text)
    vector_score: float | None  # cosine similarity, when the vector ranker found it
    text_score: float | None  # ts_rank, when full-text search found it
    # The sentences graph edges were read from, when the graph found it: what to cite.
    sentences: tuple = ()


def vector_literal(values: Sequence[float]) -> str:
    return "[" + ",".join(f"{float(v):.7g}" for v in values) + "]"


def readable_collection_ids(*, user, collection_ids: Sequence[int] | None) -> list[int]:
    """The collections to search: those asked for (each one the user can read, else
    NotFound), or every collection they can read."""
    readable = access_queryset(Collection, user=user)
    if not collection_ids:
        return list(readable.values_list("id", flat=True))
    wanted = list(dict.fromkeys(int(pk) for pk in collection_ids))
    found = set(readable.filter(pk__in=wanted).values_list("id", flat=True))
    for pk in wanted:
        if pk not in found:
            raise NotFound(f"No collection with id {pk}.")
    return wanted


def _readable_sql(*, user, collection_ids: list[int]) -> tuple[str, tuple]:
    """The SQL (and its parameters) of the ids among `collection_ids` that `user` may read
    now, for the search statements to filter by."""
    readable = access_queryset(Collection, user=user).filter(pk__in=collection_ids).order_by().values("id")
    return readable.query.sql_with_params()


def vector_hits(*, user, collection_ids: list[int], vector, n: int) -> list[tuple]:
    """(chunk id, cosine similarity), best first."""
    readable, readable_params = _readable_sql(user=user, collection_ids=collection_ids)
    literal = vector_literal(vector)
    params = [literal, *readable_params, literal, n]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(HNSW_EF_SEARCH)])
        cursor.execute(_VECTOR_SQL.format(readable=readable), params)
        rows = cursor.fetchall()
        if len(rows) < n:
            # pgvector filters after the graph search, so a user holding a small share of a
            # big table can get fewer than n; the exact scan over their rows never does.
            cursor.execute(_VECTOR_EXACT_SQL.format(readable=readable), params)
            rows = cursor.fetchall()
    return rows


def text_hits(*, user, collection_ids: list[int], query: str, n: int) -> list[tuple]:
    """(chunk id, ts_rank), best first."""
    readable, readable_params = _readable_sql(user=user, collection_ids=collection_ids)
    with connection.cursor() as cursor:
        cursor.execute(_TEXT_SQL.format(readable=readable),
                       [TS_CONFIG, TS_CONFIG, query, *readable_params, n])
        return cursor.fetchall()


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> dict[int, float]:
    """score(id) = sum over rankings of 1 / (k + rank), rank counted from 1."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, chunk_id in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (k + rank)
    return scores


def rag_retrieve(
    *,
    user,
    query: str,
    collection_ids: Sequence[int] | None = None,
    k: int = 5,
    mode: str = "hybrid",
) -> list[RetrievedChunk]:
    """The `k` best chunks for `query` from `collection_ids` (every collection the user can
    read when empty): their own, their teams' and those shared with them. A collection they
    cannot read raises NotFound (a 404). `graph` answers hybrid's chunks when the graph finds
    nothing for the question."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    collections = readable_collection_ids(user=user, collection_ids=collection_ids)
    if not collections or not query.strip():
        return []
    n = max(MIN_CANDIDATES, CANDIDATES_PER_RESULT * k)  # candidates for fusion
    query_vector = None
    if mode != "text":
        # Imported on first use: it loads torch, which web processes that never search skip.
        from ml.personality.embeddings import embed

        query_vector = embed([query])[0]
    graph = {}
    if mode in GRAPH_MODES:
        from apps.knowledge.retrieval import graph_walk

        graph = {hit.chunk_id: hit for hit in graph_walk(
            readable=_readable_sql(user=user, collection_ids=collections), query=query,
            query_vector=query_vector, k=n if mode == "hybrid+graph" else k)}
        if mode == "graph" and not graph:
            # The question names no entity of the graph (or the graph is empty): hybrid's
            # sources rather than none, so a graph conversation still answers from documents.
            mode = "hybrid"
    n = n if mode in ("hybrid", "hybrid+graph") else k
    vector_scores: dict[int, float] = {}
    text_scores: dict[int, float] = {}
    rankings = []
    if mode in ("hybrid", "vector", "hybrid+graph"):
        hits = vector_hits(user=user, collection_ids=collections, vector=query_vector, n=n)
        vector_scores = dict(hits)
        rankings.append([chunk_id for chunk_id, _ in hits])
    if mode in ("hybrid", "text", "hybrid+graph"):
        hits = text_hits(user=user, collection_ids=collections, query=query, n=n)
        text_scores = dict(hits)
        rankings.append([chunk_id for chunk_id, _ in hits])
    if mode == "hybrid":
        scores = reciprocal_rank_fusion(rankings)
    elif mode == "hybrid+graph":
        scores = _fuse_with_graph(reciprocal_rank_fusion(rankings), list(graph))
    elif mode == "graph":
        scores = {chunk_id: hit.score for chunk_id, hit in graph.items()}
    else:
        scores = vector_scores or text_scores
    best = sorted(scores, key=lambda chunk_id: (-scores[chunk_id], chunk_id))[:k]
    chunks = access_queryset(Chunk, user=user).filter(pk__in=best).select_related("document")
    by_id = {
        chunk.pk: chunk
        for chunk in chunks.only(
            "id", "index", "text", "collection_id", "document_id", "document__name"
        )
    }
    return [
        RetrievedChunk(
            chunk_id=chunk_id,
            document_id=by_id[chunk_id].document_id,
            document_name=by_id[chunk_id].document.name,
            collection_id=by_id[chunk_id].collection_id,
            chunk_index=by_id[chunk_id].index,
            text=by_id[chunk_id].text,
            score=float(scores[chunk_id]),
            vector_score=_maybe(vector_scores.get(chunk_id)),
            text_score=_maybe(text_scores.get(chunk_id)),
            sentences=tuple(graph[chunk_id].sentences) if chunk_id in graph else (),
        )
        for chunk_id in best
        if chunk_id in by_id  # a chunk deleted between the two reads is simply left out
    ]


def _fuse_with_graph(hybrid: dict[int, float], graph: list[int]) -> dict[int, float]:
    """Hybrid's ranking and the graph's, fused by reciprocal rank, the graph's weighted by
    GRAPH_WEIGHT: a chunk only the graph finds (the second fact of a two-hop question) then
    outranks hybrid's lower guesses."""
    ranked = sorted(hybrid, key=lambda chunk_id: (-hybrid[chunk_id], chunk_id))
    hybrid_part = reciprocal_rank_fusion([ranked])
    graph_part = reciprocal_rank_fusion([graph])
    return {chunk_id: hybrid_part.get(chunk_id, 0.0) + GRAPH_WEIGHT * graph_part.get(chunk_id, 0.0)
            for chunk_id in hybrid_part.keys() | graph_part.keys()}


def _maybe(value) -> float | None:
    return None if value is None else float(value)
