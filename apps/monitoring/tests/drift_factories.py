"""Builders for drift tests: a model version, its served generations at given times, and
prompts on two topics (real sentences, embedded with the real all-MiniLM-L6-v2)."""

from __future__ import annotations

import itertools
import random
from datetime import datetime

from apps.monitoring.models import InferenceRecord
from apps.monitoring.rollups import rollup_add
from apps.registry.models import ModelVersion, RegisteredModel

_COOKING = (["How long should I {v} the {o}?", "What is the best way to {v} {o} for dinner?",
             "Can I {v} {o} without an oven?", "Give me a recipe to {v} {o} with garlic and lemon.",
             "Why does my {o} taste bland when I {v} it?"],
            ["roast", "bake", "grill", "boil", "fry", "steam"],
            ["chicken", "potatoes", "salmon", "broccoli", "rice", "pasta", "carrots", "eggs", "tofu", "mushrooms"])
_CODING = (["How do I {v} a {o} in Python?", "Why does my code crash when I {v} a {o}?",
            "What is the fastest way to {v} a {o} in JavaScript?", "Show me a Rust function to {v} a {o}.",
            "Which library should I use to {v} a {o} in Go?"],
           ["sort", "reverse", "parse", "serialize", "copy", "iterate over"],
           ["list", "dictionary", "string", "JSON file", "linked list", "hash map", "array", "binary tree"])


def prompts(topic: str, n: int, *, seed: int) -> list[str]:
    """`n` different questions about cooking or coding, drawn with `seed`."""
    templates, verbs, objects = _COOKING if topic == "cooking" else _CODING
    pool = [t.format(v=v, o=o) for t, v, o in itertools.product(templates, verbs, objects)]
    return random.Random(seed).sample(pool, n)


def model_version(owner, name: str = "watched") -> ModelVersion:
    model = RegisteredModel.objects.create(owner=owner, name=name)
    return ModelVersion.objects.create(owner=owner, registered_model=model, major=1, minor=0, patch=0,
                                       source="starter", status="ready")


def served(version: ModelVersion, *, at: datetime, n: int, embeddings=None, reply_chars=None,
           refused=None, personality=None) -> list[InferenceRecord]:
    """`n` finished generations of the version served at `at`, with the given features (one per
    generation, or None), counted in its rollups as inference_record_write counts them."""
    rows = InferenceRecord.objects.bulk_create([
        InferenceRecord(
            model_version=version, source="v1", status="ok",
            prompt_embedding=None if embeddings is None else list(map(float, embeddings[i])),
            reply_chars=None if reply_chars is None else int(reply_chars[i]),
            refused=None if refused is None else bool(refused[i]),
            personality_scores=None if personality is None else personality[i],
        )
        for i in range(n)
    ])
    # created_at is set on insert; these generations happened at `at`.
    InferenceRecord.objects.filter(pk__in=[row.pk for row in rows]).update(created_at=at, received_at=at)
    rollup_add(model_version_id=version.pk, at=at, requests=n)
    return rows
