"""Personality scoring throughput: short texts (two lines of the plays, about 17 words)
scored per second against a personality, with every metric and the alignment, through the
service (`apps.personalities.scoring.personality_score`, goal >= 200 texts/s) and through
the API (`POST /api/v1/personalities/<id>/score/` on a daphne server this script starts, one
request at a time, goal >= 100 texts/s). Config personalities (a built-in) score from the
metrics alone; `--kinds config,learned` adds a learned personality, which also embeds every
text. Prints one JSON line.

    python -m sloughgpt_site.devservices --var var/bench-persona -- \
        python benchmarks/persona_score.py [--texts 2000] [--batch 100] [--kinds config]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from stack import ROOT, daphne_server, log, prepare_django

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "shakespeare.txt"
SERVICE_GOAL, API_GOAL = 200, 100


def short_texts(path: Path, count: int) -> list[str]:
    """`count` texts of two consecutive spoken lines (speaker names and short lines skipped)."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
             if len(line.split()) >= 6 and not line.isupper()]
    if len(lines) < 2 * count:
        raise SystemExit(f"{path} has too few lines for {count} texts")
    return [f"{lines[i]} {lines[i + 1]}" for i in range(0, 2 * count, 2)]


def personalities(user, kinds: list[str], texts: list[str]) -> dict[str, int]:
    """kind -> the id of a personality of that kind to score against."""
    from apps.personalities import services
    from apps.personalities.models import Personality

    chosen = {}
    if "config" in kinds:
        chosen["config"] = Personality.objects.get(owner=None, archetype="jester").pk
    if "learned" in kinds:
        Personality.objects.filter(owner=user, name="bench-learned").delete()
        questions = [t for t in texts if "?" in t][:40]
        others = [t for t in texts if "?" not in t][:120]
        chosen["learned"] = services.personality_create_learned(
            user=user, name="bench-learned", examples=questions, background=others).pk
    return chosen


def batches(texts: list[str], size: int):
    for start in range(0, len(texts), size):
        yield texts[start:start + size]


def service_rate(user, personality_id: int, texts: list[str], batch: int) -> float:
    from apps.personalities.scoring import personality_score

    personality_score(user=user, personality_id=personality_id, texts=texts[:batch])  # warm
    started = time.perf_counter()
    for part in batches(texts, batch):
        report = personality_score(user=user, personality_id=personality_id, texts=part)
        assert len(report.texts) == len(part) and len(report.texts[0].metrics) > 10
    return len(texts) / (time.perf_counter() - started)


def api_rate(session, url: str, personality_id: int, texts: list[str], batch: int) -> float:
    endpoint = f"{url}/api/v1/personalities/{personality_id}/score/"
    session.post(endpoint, json={"texts": texts[:batch]}, timeout=300).raise_for_status()  # warm
    started = time.perf_counter()
    for part in batches(texts, batch):
        response = session.post(endpoint, json={"texts": part}, timeout=300)
        response.raise_for_status()
        assert len(response.json()["texts"]) == len(part)
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    import requests

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--texts", type=int, default=2000, help="texts scored per measurement")
    parser.add_argument("--batch", type=int, default=100, help="texts per call or request")
    parser.add_argument("--kinds", default="config", help="comma-separated: config, learned")
    args = parser.parse_args()

    user, token = prepare_django()
    texts = short_texts(args.data, args.texts)
    chosen = personalities(user, args.kinds.split(","), texts)
    result = {"benchmark": "persona_score", "texts": len(texts), "batch": args.batch,
              "mean_words": round(sum(len(t.split()) for t in texts) / len(texts), 1),
              "load_average": round(os.getloadavg()[0], 2)}
    for kind, personality_id in chosen.items():
        log(f"service, {kind}")
        result[f"service_{kind}_texts_per_s"] = round(service_rate(user, personality_id, texts, args.batch), 1)
    with daphne_server() as url, requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"
        for kind, personality_id in chosen.items():
            log(f"API, {kind}")
            result[f"api_{kind}_texts_per_s"] = round(api_rate(session, url, personality_id, texts, args.batch), 1)
    result.update(goal_service_texts_per_s=SERVICE_GOAL, goal_api_texts_per_s=API_GOAL)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
