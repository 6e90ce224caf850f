"""Prometheus metrics overhead: (1) the chat benchmark's full stack (chat socket -> consumer ->
`inference` queue -> thread-pool inference worker -> engine -> relay -> socket, as in
chat_stream.py) with metrics recorded vs not recorded (SLOUGHGPT_METRICS_ENABLED) in the same
run, for 1 and 8 concurrent chats: the tokens/s ratio (goal >= 0.98) and the added time to
first token (goal < 5 ms); (2) the time of one GET /metrics when the metrics folder holds the
files of 10 worker processes that each served 100 model versions (goal < 200 ms): wall time
and this process's CPU time, which a busy shared machine inflates less. Prints one JSON line,
with the load average.

    python -m sloughgpt_site.devservices --var var/bench-monitoring -- \\
        python benchmarks/monitoring_overhead.py [--model FILE.sou] [--tokens 128] [--rounds 3]

The inference worker reads the switch when it starts, so each measurement starts its own
worker (warmed with one short reply first): off, then `--rounds` times on and off; each "on"
run is compared with the mean of the "off" runs on either side (a shared machine's speed
drifts within seconds), and ratios and added times are the medians of those pairs. Both
sides record into a PROMETHEUS_MULTIPROC_DIR as production does (devservices sets it).

On a busy shared machine the full-stack pairs move by tens of percent from run to run, more than
the metrics could cost, so the comparison is also made where it can be resolved: one process's
`run_generation` (the worker's streaming loop, where the inference metrics are recorded) on the
same loaded engine, alternating with and without a model version to record for, one reply and
8 concurrent ones; and the recording calls of one generation timed alone."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from chat_stream import PROMPT_TEXT, full_stack, start_worker, stop_worker
from stack import ROOT, link_model_version, log

CHATS = (1, 8)
VERSIONS = 100
PROCESSES = 10
SCRAPES = 20

# One worker process's metrics: what serving VERSIONS model versions leaves behind, plus the
# HTTP routes and tasks a busy site has. Runs in its own interpreter, so prometheus-client
# reads the folder from the environment before its first import.
WRITER = """
import random
from apps.monitoring import metrics as m
random.seed({seed})
for v in range({versions}):
    version = str(v + 1)
    for _ in range(20):
        m.INFERENCE_TIME_TO_FIRST_TOKEN.labels(version).observe(random.random())
        m.INFERENCE_TOKENS_PER_SECOND.labels(version).observe(random.random() * 200)
        m.INFERENCE_BATCH_OCCUPANCY.labels(version).observe(random.random())
    m.INFERENCE_PROMPT_TOKENS.labels(version).inc(1000)
    m.INFERENCE_COMPLETION_TOKENS.labels(version).inc(2000)
    m.INFERENCE_KV_CACHE_USED.labels(version).set(1e6)
    m.INFERENCE_KV_CACHE_ALLOCATED.labels(version).set(4e6)
    for event in ("hit", "load", "evict"):
        m.MODEL_CACHE_EVENTS.labels(version, event).inc()
for r in range(60):
    for method, status in (("GET", "200"), ("POST", "201"), ("GET", "404")):
        m.HTTP_REQUESTS.labels(method, f"/api/v1/route{{r}}/<int:pk>/", status).inc()
        m.HTTP_REQUEST_DURATION.labels(method, f"/api/v1/route{{r}}/<int:pk>/").observe(0.01)
for t in range(25):
    for state in ("started", "success", "failure"):
        m.CELERY_TASKS.labels(f"app.task_{{t}}", state).inc()
    m.CELERY_TASK_DURATION.labels(f"app.task_{{t}}").observe(1.0)
m.WEBSOCKET_CONNECTIONS.labels("ChatConsumer").set(3)
m.TRAINING_ACTIVE_RUNS.set(1)
m.QUOTA_REFUSALS.labels("chat_tokens_per_day").inc()
import sys
print("ready", flush=True)
sys.stdin.read()  # a live worker until the scrapes are done
"""


def set_metrics(enabled: bool) -> None:
    """This process (the web side: consumer and socket) and the workers it starts next."""
    from django.conf import settings

    from apps.monitoring.metrics import enabled as metrics_enabled

    os.environ["SLOUGHGPT_METRICS_ENABLED"] = "1" if enabled else "0"
    settings.SLOUGHGPT_METRICS_ENABLED = enabled
    metrics_enabled.cache_clear()


async def one_side(enabled: bool, user, version, token: str, tokens: int, threads: int) -> dict:
    set_metrics(enabled)
    worker = await asyncio.to_thread(start_worker, threads)
    try:
        await full_stack(user, version, token, 1, 8)  # loads the model in this worker
        return {n: await full_stack(user, version, token, n, tokens) for n in CHATS}
    finally:
        await asyncio.to_thread(stop_worker, worker)


async def measure(user, version, token: str, tokens: int, rounds: int, threads: int) -> dict:
    """{"off": [rounds + 1 runs], "on": [rounds runs]}, each run {chats: summary}, in the order
    off, (on, off) x rounds. One event loop: the channel layer keeps loop-bound state."""
    runs = {"off": [await one_side(False, user, version, token, tokens, threads)], "on": []}
    for _ in range(rounds):
        for side, enabled in (("on", True), ("off", False)):
            runs[side].append(await one_side(enabled, user, version, token, tokens, threads))
            log(f"metrics {side}: " + ", ".join(
                f"{n} chats {runs[side][-1][n]['tokens_per_s']:.0f} tok/s "
                f"ttft {runs[side][-1][n]['ttft_ms']:.1f} ms" for n in CHATS))
    return runs


def paired(runs: dict, n: int) -> dict:
    ratios, added = [], []
    for i, on in enumerate(run[n] for run in runs["on"]):
        off = [runs["off"][i][n], runs["off"][i + 1][n]]
        ratios.append(on["tokens_per_s"] / statistics.mean(r["tokens_per_s"] for r in off))
        added.append(on["ttft_ms"] - statistics.mean(r["ttft_ms"] for r in off))
    return {
        "off_tokens_per_s": round(statistics.median(r[n]["tokens_per_s"] for r in runs["off"]), 1),
        "on_tokens_per_s": round(statistics.median(r[n]["tokens_per_s"] for r in runs["on"]), 1),
        "tokens_per_s_ratio": round(statistics.median(ratios), 3),
        "off_ttft_ms": round(statistics.median(r[n]["ttft_ms"] for r in runs["off"]), 2),
        "on_ttft_ms": round(statistics.median(r[n]["ttft_ms"] for r in runs["on"]), 2),
        "added_ttft_ms": round(statistics.median(added), 2),
        "added_ttft_ms_each": [round(a, 1) for a in added],
    }


def worker_loop(path: Path, tokens: int, threads: int, pairs: int = 15) -> dict:
    """Median time of 1 and of 8 concurrent greedy `tokens`-token replies through
    `run_generation` with the metrics recorded (a model version given) and not, alternating;
    and the recording calls of one generation (first token, end) timed alone."""
    import threading

    import torch

    from apps.chat.inference import GenerationResult, run_generation
    from apps.chat.tasks import INFERENCE_SWITCH_INTERVAL_S
    from apps.monitoring import metrics_inference
    from ml.infer.engine import Engine

    torch.set_num_threads(threads)
    sys.setswitchinterval(INFERENCE_SWITCH_INTERVAL_S)  # as the inference worker runs
    engine = Engine.load(path)
    prompt = [{"role": "user", "content": PROMPT_TEXT}]

    def replies(n: int, model_version_id: int | None) -> float:
        requests = [engine.request(prompt, max_tokens=tokens, temperature=0.0, repetition_penalty=1.0,
                                   ignore_eos=True) for _ in range(n)]
        threads = [threading.Thread(target=run_generation, args=(engine, request), kwargs={
            "requested_at": time.time(), "on_text": lambda text: None, "should_stop": lambda: False,
            "batch_s": 0.0, "model_version_id": model_version_id}) for request in requests]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return 1000 * (time.perf_counter() - started)

    result = {}
    for n in CHATS:
        for _ in range(3):
            replies(n, None)
        off, on = [], []
        for _ in range(pairs):
            off.append(replies(n, None))
            on.append(replies(n, 1))
        result[f"chats_{n}"] = {"ms_off": round(statistics.median(off), 2), "ms_on": round(statistics.median(on), 2),
                                "time_ratio": round(statistics.median(on) / statistics.median(off), 3)}
    generation = GenerationResult("text", 20, tokens, "length", 50.0, 100.0)
    calls = 1000
    started = time.perf_counter()
    for _ in range(calls):
        metrics_inference.first_token(engine, model_version_id=1)
        metrics_inference.generation_finished(engine, generation, model_version_id=1)
    result["recording_us_per_generation"] = round(1e6 * (time.perf_counter() - started) / calls, 1)
    return result


def scrape_time(folder: Path) -> dict:
    """Median time of GET /metrics (the Django view, queue lengths from Redis included) over
    `folder` once PROCESSES processes, still running, wrote their metrics there; the first
    scrape (which parses every file; later ones parse what was appended) apart."""
    from django.test import Client, override_settings

    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(folder))
    writers = [subprocess.Popen([sys.executable, "-c", WRITER.format(seed=i, versions=VERSIONS)],
                                cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True) for i in range(PROCESSES)]
    previous = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)  # the view reads it at each scrape
    try:
        if any(writer.stdout.readline().strip() != "ready" for writer in writers):
            raise RuntimeError("a metrics writer failed")
        client, times, cpu = Client(HTTP_HOST="localhost"), [], []
        # The scraper is let in by its network (loopback; none is allowed by default).
        with override_settings(SLOUGHGPT_METRICS_ALLOW_NETWORKS=["127.0.0.1/32"]):
            for _ in range(SCRAPES):
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get("/metrics")
                times.append(1000 * (time.perf_counter() - started))
                cpu.append(1000 * (time.process_time() - started_cpu))
                assert response.status_code == 200, response.status_code
        # prometheus-client's own reader of the same folder (what the view used before
        # apps.monitoring.metrics_merge), as a baseline measured under the same load.
        from prometheus_client import generate_latest
        from prometheus_client.multiprocess import MultiProcessCollector

        library = []
        for _ in range(5):
            started = time.perf_counter()
            generate_latest(MultiProcessCollector(None, path=str(folder)))
            library.append(1000 * (time.perf_counter() - started))
    finally:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = previous
        for writer in writers:
            writer.communicate()
    lines = [line for line in response.content.decode().splitlines() if line and not line.startswith("#")]
    return {"processes": PROCESSES, "model_versions": VERSIONS, "files": len(list(folder.glob("*.db"))),
            "samples": len(lines), "bytes": len(response.content),
            "first_ms": round(times[0], 1), "median_ms": round(statistics.median(times[1:]), 1),
            "max_ms": round(max(times[1:]), 1), "median_cpu_ms": round(statistics.median(cpu[1:]), 1),
            "prometheus_client_reader_median_ms": round(statistics.median(library), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a .sou file (default: a tiny random LLaMA)")
    parser.add_argument("--tokens", type=int, default=128, help="tokens per reply")
    parser.add_argument("--threads", type=int, default=2, help="torch threads of the worker")
    parser.add_argument("--rounds", type=int, default=3, help="metrics-on runs, each between two off runs")
    parser.add_argument("--scrape-only", action="store_true", help="measure only the /metrics scrape")
    args = parser.parse_args()
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        parser.error("run it under sloughgpt_site.devservices, which sets PROMETHEUS_MULTIPROC_DIR")

    import django

    django.setup()
    from django.core.management import call_command

    from apps.accounts.models import ApiToken, User
    from apps.accounts.services import api_token_create
    from apps.quotas.models import AccountQuota

    call_command("migrate", verbosity=0)
    user, _ = User.objects.get_or_create(email="monitoring-bench@example.com")
    AccountQuota.objects.update_or_create(user=user, defaults={
        "chat_tokens_per_day": 10**12, "concurrent_generations": 64, "api_requests_per_minute": 10**9})
    version, path = link_model_version(user, args.model)
    ApiToken.objects.filter(owner=user).delete()
    token = api_token_create(user=user, name=f"bench-{time.time()}").secret

    load_before = os.getloadavg()[0]
    result = {"benchmark": "monitoring_overhead", "model": args.model or "tiny-random-llama",
              "tokens_per_reply": args.tokens, "threads": args.threads, "rounds": args.rounds}
    if not args.scrape_only:
        runs = asyncio.run(measure(user, version, token, args.tokens, args.rounds, args.threads))
        set_metrics(True)
        result.update({f"chats_{n}": paired(runs, n) for n in CHATS})
        result["worker_loop"] = worker_loop(path, args.tokens, args.threads)
    with tempfile.TemporaryDirectory() as folder:
        result["scrape"] = scrape_time(Path(folder))
    result["load_average_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
