"""Knowledge graph rows made directly, for tests that need a graph without a worker."""

from __future__ import annotations

from django.db.models import F

from apps.knowledge.models import Entity, Mention, Relation
from apps.rag.models import EMBEDDING_DIM, Chunk
from ml.knowledge.merge import normalize_name


def entity(collection, name: str, label: str = "PERSON") -> Entity:
    return Entity.objects.create(owner_id=collection.owner_id, collection=collection, name=name,
                                 normalized_name=normalize_name(name), label=label,
                                 embedding=[1.0] + [0.0] * (EMBEDDING_DIM - 1))


def relation(subject: Entity, predicate: str, obj: Entity, chunk: Chunk, sentence: str) -> Relation:
    start = chunk.text.index(sentence)
    for node in (subject, obj):
        Mention.objects.create(owner_id=chunk.owner_id, collection_id=chunk.collection_id, entity=node,
                               chunk=chunk, start=start, end=start + len(sentence))
    Entity.objects.filter(pk__in=[subject.pk, obj.pk]).update(degree=F("degree") + 1)
    return Relation.objects.create(owner_id=chunk.owner_id, collection_id=chunk.collection_id,
                                   subject=subject, predicate=predicate, object=obj, chunk=chunk,
                                   sentence=sentence, sentence_start=start, sentence_end=start + len(sentence))
