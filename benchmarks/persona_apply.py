"""Persona application end to end: the product as `make run` serves it (daphne, the
`default,train` and `inference` Celery workers, PostgreSQL, Redis) applies "Cheerful
Enthusiast" by steering to the starter model (SmolLM2-135M-Instruct) through the API
(`POST /api/v1/personality-applications/`), then evaluates the steered version on the probes,
and the script polls until the report is ready. Prints one JSON line: wall time from the
request to the report (goal < 15 min on 2 cores; the CLI's steer + eval took about 20 on one
thread), the time spent applying and evaluating, and the report's gains of the steering
condition over no personality: VADER compound (goal >= +0.2), alignment, and the answers'
perplexity ratio (goal < 1.25), with the load average.

    python -m sloughgpt_site.devservices --var var/bench-persona -- \\
        python benchmarks/persona_apply.py [--probes 61] [--max-tokens 64] \\
        [--contrast scored|answer|prompt] [--model FILE.sou]

The starter model is added once through the API (`POST /api/v1/model-versions/starter/`,
pip fetches it the first time) and kept in the var directory; `--model` uses a `.sou` file
instead (linked in as the user's version). `--probes 3 --contrast prompt` is a quick check
that everything runs (a minute or two); the full run (all 61 probes, the scored contrast) takes
about 15 minutes of both cores. The stack's output goes to `<var>/persona-apply-stack.log`."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import requests
from stack import link_model_version, log, prepare_django, product_server, starter_version

os.environ.setdefault("DJANGO_DEBUG", "0")  # as in production: no per-query debug log
PERSONALITY = "cheerful enthusiast"
POLL_S = 2.0


def apply_and_wait(session: requests.Session, url: str, version_id: int, options: dict) -> tuple[dict, dict]:
    """(the finished application, seconds from the request to each stage it was seen in)."""
    from apps.personalities.models import Personality

    cheerful = Personality.objects.get(owner=None, archetype=PERSONALITY)
    started = time.monotonic()
    created = session.post(f"{url}/api/v1/personality-applications/", json={
        "model_version_id": version_id, "personality_id": cheerful.pk, "method": "steering", "options": options,
    }, timeout=120)
    if created.status_code != 201:
        raise RuntimeError(f"the application was refused: {created.text}")
    seen: dict[str, float] = {}
    while True:
        body = session.get(f"{url}/api/v1/personality-applications/{created.json()['id']}/", timeout=60).json()
        stage = body["stage"] or body["status"]
        if stage not in seen:
            seen[stage] = round(time.monotonic() - started, 1)
            log(f"{seen[stage]:8.1f} s  {stage}")
        if body["status"] in ("ready", "failed"):
            return body, seen
        time.sleep(POLL_S)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=61, help="probes evaluated, spread over the 61")
    parser.add_argument("--max-tokens", type=int, default=64, help="tokens per evaluation answer")
    parser.add_argument("--contrast", choices=("scored", "answer", "prompt"), default="scored",
                        help="the steering contrast (prompt: no generation, for a quick check)")
    parser.add_argument("--model", type=Path, help="a .sou file instead of the starter model")
    args = parser.parse_args()

    user, token = prepare_django()
    from django.conf import settings

    server_log = Path(settings.VAR_DIR) / "persona-apply-stack.log"
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    load_before = os.getloadavg()[0]
    with product_server(server_log) as url:
        log(f"serving at {url}; its output: {server_log}")
        if args.model:
            version_id = link_model_version(user, args.model, name="persona-bench")[0].pk
        else:
            version_id = starter_version(session, url, user)
        options = {"probes": args.probes, "max_tokens": args.max_tokens, "contrast": args.contrast}
        application, seen = apply_and_wait(session, url, version_id, options)
        if application["status"] != "ready":
            raise RuntimeError(f"the application failed: {application['error']} (see {server_log})")
        report = session.get(f"{url}/api/v1/personality-applications/{application['id']}/report/",
                             timeout=60).json()
    none, steered = report["conditions"]["none"], report["conditions"]["steering"]
    wall = seen["ready"]
    print(json.dumps({
        "benchmark": "persona_apply", "model": str(args.model) if args.model else "starter (SmolLM2-135M-Instruct)",
        "personality": PERSONALITY, "probes": report["probes"], "max_tokens": report["max_tokens"],
        "contrast": args.contrast, "steering": report["steering"],
        "wall_s": wall, "apply_s": round(seen.get("evaluating", wall) - seen.get("applying", 0.0), 1),
        "evaluate_s": round(wall - seen.get("evaluating", wall), 1), "stages_s": seen,
        "alignment_none": none["alignment"], "alignment_steering": steered["alignment"],
        "alignment_gain": report["deltas"]["steering"]["alignment"],
        "vader_none": none["metrics"]["vader_compound"], "vader_steering": steered["metrics"]["vader_compound"],
        "vader_gain": report["deltas"]["steering"]["vader_compound"],
        "perplexity_ratio": report["deltas"]["steering"]["perplexity_ratio"],
        "goals": {"wall_s_below": 900, "vader_gain_at_least": 0.2, "perplexity_ratio_below": 1.25},
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
