"""Graph-augmented retrieval against hybrid search on facts that chain across documents.

Builds about 300 short documents from a seeded template set: people and the company each
works at (one document), companies and the city each is headquartered in (another), and
distractors that mention the same people, companies and cities in other roles. Then 200
questions, half single-hop ("Where does Noah Keller work?") and half two-hop ("In which city
is the company that Noah Keller works for headquartered?", whose answer needs the person's
document and the company's), each with its gold chunks. The documents are embedded and
their graph built by the production services; every question goes through
`apps.rag.retrieval.rag_retrieve` in each mode. Prints one JSON line: recall@5 of the gold
chunks per mode and kind of question, and per-mode query latency (p50/p95, ms).

    python -m sloughgpt_site.devservices --var var/bench-graph -- python benchmarks/graph_rag.py
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sloughgpt_site.settings.local")

SEED = 22
K = 5
PEOPLE = 100
COMPANIES = 60
DISTRACTORS = 140
QUESTIONS_PER_KIND = 100
MODES = ("hybrid", "graph", "hybrid+graph")

FIRST = ["Noah", "Mia", "Liam", "Emma", "Omar", "Sofia", "Lucas", "Ava", "Hugo", "Lena", "Ivan", "Nora",
         "Mateo", "Chloe", "Felix", "Alice", "Jonas", "Clara", "Theo", "Elena", "Arjun", "Maya", "Pavel",
         "Ines", "Kenji", "Zara", "Tomas", "Greta", "Rafael", "Hanna"]
LAST = ["Keller", "Rossi", "Novak", "Clarke", "Haddad", "Moreau", "Silva", "Berg", "Tanaka", "Kowalski",
        "Fischer", "Duarte", "Lindqvist", "Okafor", "Petrov", "Marsh", "Quinn", "Vidal", "Brandt", "Costa"]
COMPANY_A = ["Blue", "Silver", "North", "Iron", "Bright", "Red", "Cedar", "Stone", "Swift", "Golden",
             "Amber", "Lunar"]
COMPANY_B = ["peak", "wind", "forge", "field", "gate", "brook", "crest", "haven", "line", "vale"]
COMPANY_C = ["Systems", "Labs", "Foods", "Logistics", "Energy", "Robotics", "Textiles", "Analytics"]
CITIES = ["Lyon", "Porto", "Krakow", "Bilbao", "Ghent", "Turin", "Leipzig", "Aarhus", "Bergen", "Graz",
          "Brno", "Utrecht", "Seville", "Malmo", "Tampere", "Cork", "Split", "Lille", "Basel", "Riga"]
ROLES = ["engineer", "designer", "accountant", "chemist", "analyst", "technician", "manager", "writer"]
HOBBIES = ["chess", "rowing", "painting", "climbing", "gardening", "cycling", "baking", "sailing"]
PRODUCTS = ["batteries", "sensors", "fabrics", "pasta", "software", "turbines", "drones", "dyes"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def corpus(rng: random.Random):
    """(documents as (name, text)), (questions as (kind, text, gold document names))."""
    people = rng.sample([f"{f} {last}" for f in FIRST for last in LAST], PEOPLE + DISTRACTORS)
    companies = rng.sample([f"{a}{b} {c}" for a in COMPANY_A for b in COMPANY_B for c in COMPANY_C], COMPANIES)
    city_of = {company: rng.choice(CITIES) for company in companies}
    employer = {person: rng.choice(companies) for person in people[:PEOPLE]}
    documents = []
    for person, company in employer.items():
        documents.append((f"person-{person}", f"{person} works at {company} as an {rng.choice(ROLES)}. "
                          f"{person} enjoys {rng.choice(HOBBIES)} at weekends."))
    for company, city in city_of.items():
        documents.append((f"company-{company}", f"{company} is headquartered in {city}. "
                          f"The company makes {rng.choice(PRODUCTS)}."))
    extras = people[PEOPLE:]
    for i in range(DISTRACTORS):
        person, company, city = extras[i], rng.choice(companies), rng.choice(CITIES)
        documents.append((f"distractor-{i}", rng.choice([
            f"{person} visited {city} to see a trade fair about {rng.choice(PRODUCTS)}.",
            f"{person} wrote a review of {company} and its {rng.choice(PRODUCTS)}.",
            f"A new office in {city} was opened by a supplier of {company}.",
            f"{person} moved to {city} and works from home as a {rng.choice(ROLES)}.",
        ])))
    questions = []
    asked = rng.sample(list(employer), QUESTIONS_PER_KIND)
    for n, person in enumerate(asked):
        company = employer[person]
        if n % 2:
            questions.append(("single", f"Where does {person} work?", {f"person-{person}"}))
        else:
            questions.append(("single", f"Where is {company} headquartered?", {f"company-{company}"}))
    for person in rng.sample(list(employer), QUESTIONS_PER_KIND):
        questions.append(("two_hop", f"In which city is the company that {person} works for headquartered?",
                          {f"person-{person}", f"company-{employer[person]}"}))
    return documents, questions


def build(user, documents) -> object:
    from apps.knowledge.services import document_graph_build
    from apps.rag.models import Chunk, Collection, Document
    from ml.personality.embeddings import embed

    Collection.objects.filter(owner=user).delete()
    collection = Collection.objects.create(owner=user, name="graph bench")
    vectors = embed([text for _, text in documents])
    rows = [Document.objects.create(owner=user, collection=collection, name=name, format="txt",
                                    size_bytes=len(text), sha256="0" * 64, text=text,
                                    status=Document.Status.READY, chunk_count=1)
            for name, text in documents]
    Chunk.objects.bulk_create(Chunk(owner=user, collection=collection, document=row, index=0, text=text,
                                    embedding=vector)
                              for row, (_, text), vector in zip(rows, documents, vectors, strict=True))
    started = time.perf_counter()
    for row in rows:
        document_graph_build(document_id=row.pk)
    log(f"graph built in {time.perf_counter() - started:.1f} s")
    return collection


def main() -> int:
    import django

    django.setup()
    import numpy as np
    import torch
    from django.core.management import call_command

    from apps.accounts.models import User
    from apps.knowledge.models import Entity, Relation
    from apps.rag.retrieval import rag_retrieve

    torch.set_num_threads(1)
    call_command("migrate", verbosity=0)
    user, _ = User.objects.get_or_create(email="bench-graph@example.com")
    documents, questions = corpus(random.Random(SEED))
    collection = build(user, documents)
    result = {"benchmark": "graph_rag", "documents": len(documents), "questions": len(questions),
              "entities": Entity.objects.filter(collection=collection).count(),
              "relations": Relation.objects.filter(collection=collection).count(), "k": K}
    rag_retrieve(user=user, query="warm up", collection_ids=[collection.pk], k=K, mode="hybrid+graph")
    for mode in MODES:
        recalls = {"single": [], "two_hop": []}
        latencies = []
        for kind, text, gold in questions:
            started = time.perf_counter()
            hits = rag_retrieve(user=user, query=text, collection_ids=[collection.pk], k=K, mode=mode)
            latencies.append((time.perf_counter() - started) * 1000)
            found = {hit.document_name for hit in hits}
            recalls[kind].append(len(found & gold) / len(gold))
        for kind, values in recalls.items():
            result[f"{mode}_{kind}_recall@{K}"] = round(float(np.mean(values)), 3)
        result[f"{mode}_p50_ms"] = round(float(np.percentile(latencies, 50)), 1)
        result[f"{mode}_p95_ms"] = round(float(np.percentile(latencies, 95)), 1)
    result["load_average"] = round(os.getloadavg()[0], 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
