"""Chat streaming overhead: the same greedy replies through the full stack (chat socket ->
consumer -> Celery `inference` queue -> thread-pool inference worker -> engine -> channel
layer -> socket) and through the engine alone, for 1 and 8 concurrent chats. Reports each
path's aggregate tokens/s (first send to last reply done, so it includes the time to first
token), each stream's decode rate after its first text, and the mean time to first text (on
the socket: the first delta; from the engine: the first delta with text, as a token may add
none yet, e.g. part of a character); then the throughput ratio (goal >= 0.9) and the added
time to first token (goal < 100 ms). Prints one JSON line, with the load average.

    python -m sloughgpt_site.devservices --var var/bench-chat -- \\
        python benchmarks/chat_stream.py [--model FILE.sou] [--tokens 128] [--rounds 5]

The socket is driven in-process through the ASGI application (channels' WebsocketCommunicator),
so everything but the browser's TCP hop is measured. By default the model is a tiny random
LLaMA (the chat tests' model), where per-token overhead weighs most. The paths take turns:
engine, then `--rounds` times stack and engine, and each stack run is compared with the mean
of the engine runs just before and after it. A shared machine's speed drifts by 10% within
seconds (the same prompt's prefill takes 200 ms in one round and 230 ms in the next), which
moves an 8-chat mean time to first token by 100 ms; paired, the drift falls on both sides
alike. Ratios and added times are the medians of those pairs, the other figures medians."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from stack import ROOT, link_model_version, log

os.environ.setdefault("DJANGO_DEBUG", "0")  # as in production: no per-query debug log
ORIGIN = (b"origin", b"http://localhost")
HOST = (b"host", b"localhost")  # the origin must be the host's, as for a browser


def start_worker(threads: int) -> subprocess.Popen:
    from sloughgpt_site.celery import app

    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    log_file = open(Path(tempfile.gettempdir()) / "chat-bench-worker.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "sloughgpt_site", "worker", "-Q", "inference",
         "--pool", "threads", "--concurrency", "8", "--loglevel", "WARNING",
         "-n", f"chat-bench-{os.getpid()}@%h", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while not app.control.ping(timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the inference worker did not start; see {log_file.name}")
    return process


def stop_worker(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def summarise(runs: list[tuple[float, float, int]], started: float) -> dict:
    """runs: (first token time, last token time, tokens) per stream, monotonic seconds."""
    tokens = sum(r[2] for r in runs)
    wall = max(r[1] for r in runs) - started
    return {"tokens_per_s": tokens / wall,
            "decode_tokens_per_s": statistics.mean((r[2] - 1) / (r[1] - r[0]) for r in runs),
            "ttft_ms": 1000 * statistics.mean(r[0] - started for r in runs), "tokens": tokens}


def median(rounds: list[dict]) -> dict:
    return {key: round(statistics.median(r[key] for r in rounds), 2) for key in rounds[0]}


def engine_alone(engine, prompt: list[dict], streams: int, max_tokens: int) -> dict:
    runs: list = [None] * streams
    barrier = threading.Barrier(streams + 1)

    def one(index: int) -> None:
        barrier.wait()
        first = None
        for delta in engine.stream(prompt, max_tokens=max_tokens, temperature=0.0,
                                   repetition_penalty=1.0, ignore_eos=True):
            if first is None and delta.text:  # what a socket can show: the first text
                first = time.monotonic()
        runs[index] = (first, time.monotonic(), delta.token_count)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(streams)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    barrier.wait()
    for thread in threads:
        thread.join()
    return summarise(runs, started)


async def full_stack(user, version, token: str, streams: int, max_tokens: int) -> dict:
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator

    from apps.chat.services import conversation_create
    from sloughgpt_site.asgi import application

    sockets = []
    for _ in range(streams):
        chat = await sync_to_async(conversation_create)(
            user=user, model_version_id=version.pk, temperature=0.0, repetition_penalty=1.0,
            max_tokens=max_tokens)
        socket = WebsocketCommunicator(application, f"/ws/chat/{chat.pk}/", headers=[
            ORIGIN, HOST, (b"authorization", f"Bearer {token}".encode())])
        assert (await socket.connect())[0]
        sockets.append(socket)

    async def one(socket) -> tuple[float, float, int]:
        await socket.send_json_to({"type": "send", "content": PROMPT_TEXT})
        first = None
        while True:
            event = await socket.receive_json_from(timeout=300)
            if event["type"] == "delta" and first is None:
                first = time.monotonic()
            elif event["type"] == "done":
                return first, time.monotonic(), event["usage"]["completion_tokens"]
            elif event["type"] == "error":
                raise RuntimeError(event["message"])

    started = time.monotonic()
    runs = await asyncio.gather(*(one(socket) for socket in sockets))
    for socket in sockets:
        await socket.disconnect()
    return summarise(list(runs), started)


PROMPT_TEXT = "Tell me a story about the sea, the ships and the sailors who crossed it."


async def measure(engine, user, version, token: str, tokens: int, rounds: int) -> dict:
    """{chats: {"engine": [rounds + 1 summaries], "stack": [rounds summaries]}}, run in the
    order engine, (stack, engine) x rounds, so every stack run has an engine run on each side.
    Everything runs on one event loop: the channel layer keeps loop-bound state."""
    prompt = [{"role": "user", "content": PROMPT_TEXT}]
    results = {n: {"engine": [], "stack": []} for n in CHATS}

    async def alone(n: int) -> None:
        results[n]["engine"].append(
            await asyncio.to_thread(engine_alone, engine, prompt, n, tokens))

    await full_stack(user, version, token, 1, 8)  # loads the model in the worker
    for n in CHATS:
        await alone(n)
    for _ in range(rounds):
        for n in CHATS:
            results[n]["stack"].append(await full_stack(user, version, token, n, tokens))
            await alone(n)
            log(f"{n} chats: stack {results[n]['stack'][-1]}, engine {results[n]['engine'][-1]}")
    return results


def paired(engine_runs: list[dict], stack_runs: list[dict]) -> dict:
    """Medians over stack runs of (stack / engine) tokens/s and (stack - engine) time to first
    token, the engine side being the mean of the runs just before and after."""
    ratios, decode_ratios, added = [], [], []
    for i, stack in enumerate(stack_runs):
        around = {key: (engine_runs[i][key] + engine_runs[i + 1][key]) / 2 for key in stack}
        ratios.append(stack["tokens_per_s"] / around["tokens_per_s"])
        decode_ratios.append(stack["decode_tokens_per_s"] / around["decode_tokens_per_s"])
        added.append(stack["ttft_ms"] - around["ttft_ms"])
    return {"tokens_per_s_ratio": round(statistics.median(ratios), 3),
            "decode_ratio": round(statistics.median(decode_ratios), 3),
            "added_ttft_ms": round(statistics.median(added), 2),
            "added_ttft_ms_each": [round(a, 1) for a in added]}


CHATS = (1, 8)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a .sou file (default: a tiny random LLaMA)")
    parser.add_argument("--tokens", type=int, default=128, help="tokens per reply")
    parser.add_argument("--threads", type=int, default=2, help="torch threads on each path")
    parser.add_argument("--rounds", type=int, default=5,
                        help="stack runs, each between two engine runs")
    args = parser.parse_args()

    import django

    django.setup()
    import torch
    from django.core.management import call_command

    from apps.accounts.models import ApiToken, User
    from apps.accounts.services import api_token_create
    from apps.quotas.models import AccountQuota
    from ml.infer.engine import Engine

    torch.set_num_threads(args.threads)
    call_command("migrate", verbosity=0)
    user, _ = User.objects.get_or_create(email="chat-bench@example.com")
    # The benchmark measures speed, not quotas.
    AccountQuota.objects.update_or_create(user=user, defaults={
        "chat_tokens_per_day": 10**12, "concurrent_generations": 64, "api_requests_per_minute": 10**9})
    version, path = link_model_version(user, args.model)
    ApiToken.objects.filter(owner=user).delete()  # a user may hold 50; earlier runs' are unused
    token = api_token_create(user=user, name=f"bench-{time.time()}").secret

    engine = Engine.load(path)
    engine.complete([{"role": "user", "content": PROMPT_TEXT}], max_tokens=8)  # warm up
    load_before = os.getloadavg()[0]
    worker = start_worker(args.threads)
    try:
        results = asyncio.run(measure(engine, user, version, token, args.tokens, args.rounds))
    finally:
        stop_worker(worker)

    result = {"benchmark": "chat_stream", "model": args.model or "tiny-random-llama",
              "tokens_per_reply": args.tokens, "threads": args.threads, "rounds": args.rounds,
              "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)]}
    for n in CHATS:
        alone, stack = median(results[n]["engine"]), median(results[n]["stack"])
        pairs = paired(results[n]["engine"], results[n]["stack"])
        result[f"chats_{n}"] = {
            "engine_tokens_per_s": alone["tokens_per_s"], "stack_tokens_per_s": stack["tokens_per_s"],
            "tokens_per_s_ratio": pairs["tokens_per_s_ratio"],
            "engine_decode_tokens_per_s": alone["decode_tokens_per_s"],
            "stack_decode_tokens_per_s": stack["decode_tokens_per_s"],
            "decode_ratio": pairs["decode_ratio"],
            "engine_ttft_ms": alone["ttft_ms"], "stack_ttft_ms": stack["ttft_ms"],
            "added_ttft_ms": pairs["added_ttft_ms"], "added_ttft_ms_each": pairs["added_ttft_ms_each"],
            "engine_tokens": alone["tokens"], "stack_tokens": stack["tokens"],
        }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
