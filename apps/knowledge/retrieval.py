"""Graph-augmented retrieval: the chunks behind the graph edges near a question's entities.

1. Link: the question's word n-grams that are an entity's normalized name or a spelling of
   it (the common case, and it needs no model), then the entities spaCy finds in it that
   matched nothing, by name embedding.
2. Walk: the edges of the linked entities (one hop), then those of their neighbours (two
   hops), skipping concept nodes ("engineer") as stepping stones, since they join
   unrelated things. Each node gives its MAX_EDGES_PER_NODE edges whose chunks are nearest
   the question, so a hub (a company every document names) keeps the edge that answers and
   the same question walks the same edges every time.
3. Rank: an edge scores by its hop (a nearer fact first), how close its chunk's embedding is
   to the question's, and how many of its predicate's words the question uses; a chunk by its
   best edge, carrying the sentences of its edges as citations.

Every statement keeps only rows of the chosen collections the user may read now
(apps.rag.retrieval's readable-collections SQL)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connection

from ml.knowledge.merge import normalize_name

HOP_WEIGHTS = (1.0, 0.75)  # an edge of a linked entity, then one of its neighbour
PREDICATE_WEIGHT = 1.0  # times the share of the predicate's words the question uses
LINK_SIMILARITY = 0.8  # name-embedding cosine above which a question's entity is linked
MAX_NGRAM = 6  # words; longer entity names are rare
MAX_EDGES_PER_NODE = 100  # the edges one node gives a hop, nearest the question first
MAX_FRONTIER = 50  # the neighbours a second hop walks from, reached by the best edges first
CONCEPT = "CONCEPT"
_WORD = re.compile(r"[\w'’&+.-]+")
# Words that carry no relation: a predicate "is the CEO of" is matched on "ceo".
_FILLER = frozenset({"a", "an", "the", "of", "in", "on", "at", "to", "for", "by", "is", "was", "are",
                     "were", "be", "been", "has", "have", "had", "as", "and", "or", "with", "from"})


@dataclass(frozen=True)
class SentenceUsed:
    text: str
    start: int  # character offsets in the chunk's text
    end: int
    relation_id: int


@dataclass
class GraphHit:
    chunk_id: int
    score: float
    sentences: list[SentenceUsed] = field(default_factory=list)


_LINK_SQL = """
    SELECT e.id, e.label FROM knowledge_entity e
    WHERE e.collection_id IN ({readable})
      AND (e.normalized_name = ANY(%s) OR e.alias_keys && %s::varchar[])
"""
# `+ 0` keeps the planner off the HNSW index all users share, which filters by collection
# only after its search (a small collection among big ones would link nothing): an exact scan
# of the readable collections' entities instead.
_NEAREST_SQL = """
    SELECT e.id, e.label FROM knowledge_entity e
    WHERE e.collection_id IN ({readable}) AND 1 - (e.embedding <=> %s::vector) >= %s
    ORDER BY (e.embedding <=> %s::vector) + 0, e.id LIMIT 1
"""
# For each node, its edges (either end) whose chunks are nearest the question, with that cosine.
_EDGES_SQL = """
    SELECT e.* FROM unnest(%s::bigint[]) AS f(node)
    CROSS JOIN LATERAL (
        SELECT r.id, r.subject_id, r.object_id, r.predicate, r.chunk_id, r.sentence,
               r.sentence_start, r.sentence_end, s.label, o.label,
               1 - (c.embedding <=> %s::vector) AS similarity
        FROM knowledge_relation r
        JOIN knowledge_entity s ON s.id = r.subject_id
        JOIN knowledge_entity o ON o.id = r.object_id
        JOIN rag_chunk c ON c.id = r.chunk_id
        WHERE r.collection_id IN ({readable})
          AND (r.subject_id = f.node OR r.object_id = f.node)
          AND NOT (r.id = ANY(%s))
        ORDER BY similarity DESC, r.id
        LIMIT %s) e
"""


def _words(text: str) -> list[str]:
    return [word for word in (normalize_name(w) for w in _WORD.findall(text)) if word]


def _ngrams(words: list[str]) -> list[str]:
    return list(dict.fromkeys(" ".join(words[i:j]) for i in range(len(words))
                              for j in range(i + 1, min(len(words), i + MAX_NGRAM) + 1)))


def _stem(word: str) -> str:
    # Enough to match "headquartered" with "headquarters", "employs" with "employer".
    return word[:5]


def link_entities(*, readable: tuple[str, tuple], query: str) -> set[int]:
    """The ids of the entities the question names (not concepts)."""
    sql, params = readable
    keys = _ngrams(_words(query))
    with connection.cursor() as cursor:
        cursor.execute(_LINK_SQL.format(readable=sql), [*params, keys, keys])
        linked = {pk for pk, label in cursor.fetchall() if label != CONCEPT}
        if linked:
            return linked
        # Nothing by name: a misspelling or another form; spaCy finds the names to embed.
        from apps.rag.retrieval import vector_literal
        from ml.knowledge.extract import query_mentions
        from ml.personality.embeddings import embed

        names = [m.text for m in query_mentions(query) if m.label != CONCEPT]
        for vector in (embed(names) if names else []):
            literal = vector_literal(vector)
            cursor.execute(_NEAREST_SQL.format(readable=sql), [*params, literal, LINK_SIMILARITY, literal])
            linked |= {pk for pk, label in cursor.fetchall() if label != CONCEPT}
    return linked


def _edges(cursor, readable, literal: str, entities: list[int], seen: set[int]) -> list[tuple]:
    sql, params = readable
    cursor.execute(_EDGES_SQL.format(readable=sql),
                   [entities, literal, *params, list(seen), MAX_EDGES_PER_NODE])
    return cursor.fetchall()


def graph_walk(*, readable: tuple[str, tuple], query: str, query_vector, k: int) -> list[GraphHit]:
    """The `k` best chunks behind edges within two hops of the question's entities."""
    from apps.rag.retrieval import vector_literal

    seeds = link_entities(readable=readable, query=query)
    if not seeds:
        return []
    literal = vector_literal(query_vector)
    stems = {_stem(word) for word in _words(query) if word not in _FILLER}
    hits: dict[int, GraphHit] = {}
    seen: set[int] = set()
    frontier, visited = sorted(seeds), set(seeds)
    with connection.cursor() as cursor:
        for weight in HOP_WEIGHTS:
            if not frontier:
                break
            rows = _edges(cursor, readable, literal, frontier, seen)
            following: dict[int, float] = {}  # a node reached -> the best score reaching it
            for (pk, subject, obj, predicate, chunk_id, sentence, start, end, subject_label,
                 object_label, similarity) in rows:
                if pk in seen:
                    continue  # an edge between two nodes of the frontier comes once per end
                seen.add(pk)
                words = [w for w in _words(predicate) if w not in _FILLER]
                overlap = sum(_stem(w) in stems for w in words) / len(words) if words else 0.0
                score = weight + float(similarity) + PREDICATE_WEIGHT * overlap
                hit = hits.setdefault(chunk_id, GraphHit(chunk_id=chunk_id, score=score))
                hit.score = max(hit.score, score)
                hit.sentences.append(SentenceUsed(text=sentence, start=start, end=end, relation_id=pk))
                for node, label in ((subject, subject_label), (obj, object_label)):
                    if node not in visited and label != CONCEPT:
                        following[node] = max(following.get(node, score), score)
            frontier = sorted(following, key=lambda node: (-following[node], node))[:MAX_FRONTIER]
            visited |= set(following)
    ranked = sorted(hits.values(), key=lambda hit: (-hit.score, hit.chunk_id))[:k]
    for hit in ranked:
        hit.sentences = _distinct_sentences(hit.sentences)
    return ranked


def _distinct_sentences(sentences: Sequence[SentenceUsed]) -> list[SentenceUsed]:
    by_place = {}
    for sentence in sentences:
        by_place.setdefault((sentence.start, sentence.end), sentence)
    return sorted(by_place.values(), key=lambda s: s.start)
