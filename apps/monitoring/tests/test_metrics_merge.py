"""/metrics adds up the processes' files as prometheus-client's own multi-process reader does,
also after the processes record more (new series, more values) between scrapes and after a
process's file is replaced by a new one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from apps.monitoring.metrics_merge import FolderMerge

from .scrape import parse

ROOT = Path(__file__).resolve().parents[3]
# A worker process that runs each line it is sent (a metric to record), then says "ok".
WORKER = """
import sys
from apps.monitoring import metrics as m
print("ok", flush=True)
for line in sys.stdin:
    exec(line)
    print("ok", flush=True)
"""


class Worker:
    def __init__(self, folder: Path):
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env=dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(folder),
                                DJANGO_SETTINGS_MODULE="sloughgpt_site.settings.test"))
        assert self.process.stdout.readline().strip() == "ok"

    def record(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "ok"

    def stop(self) -> None:
        self.process.communicate()


def _samples(collector) -> dict:
    return {(name, tuple(sorted(labels.items()))): value
            for name, labels, value in parse(generate_latest(collector).decode())}


def test_the_summed_series_match_prometheus_client_s_as_processes_record_more(tmp_path):
    # given two worker processes that recorded counters, histograms and gauges
    workers = [Worker(tmp_path), Worker(tmp_path)]
    try:
        for worker in workers:
            worker.record('m.INFERENCE_PROMPT_TOKENS.labels("1").inc(5)')
            worker.record('m.INFERENCE_TIME_TO_FIRST_TOKEN.labels("1").observe(0.3)')
            worker.record('m.WEBSOCKET_CONNECTIONS.labels("ChatConsumer").inc()')
        merge = FolderMerge(str(tmp_path))
        first = _samples(merge)
        # when they record more: new values, new model versions, a new route
        workers[0].record('m.INFERENCE_TIME_TO_FIRST_TOKEN.labels("1").observe(7)')
        workers[1].record('m.INFERENCE_PROMPT_TOKENS.labels("2").inc(11)')
        workers[1].record('m.INFERENCE_TIME_TO_FIRST_TOKEN.labels("2").observe(0.01)')
        workers[1].record('m.HTTP_REQUESTS.labels("GET", "/new/", "200").inc()')
        second = _samples(merge)
        expected = _samples(MultiProcessCollector(None, path=str(tmp_path)))
    finally:
        for worker in workers:
            worker.stop()
    # then each scrape has every process's values summed, buckets cumulative, as prometheus-client's
    assert first[("sloughgpt_inference_prompt_tokens_total", (("model_version", "1"),))] == 10
    assert second == expected
    assert second[("sloughgpt_inference_time_to_first_token_seconds_count", (("model_version", "1"),))] == 3
    assert second[("sloughgpt_inference_time_to_first_token_seconds_bucket",
                   (("le", "0.5"), ("model_version", "1")))] == 2
    assert second[("sloughgpt_inference_prompt_tokens_total", (("model_version", "2"),))] == 11
    assert second[("sloughgpt_websocket_connections", (("consumer", "ChatConsumer"),))] == 2


def test_a_replaced_file_is_read_anew(tmp_path):
    # given a scrape that read a process's file
    worker = Worker(tmp_path)
    worker.record('m.QUOTA_REFUSALS.labels("chat_tokens_per_day").inc(3)')
    worker.stop()
    merge = FolderMerge(str(tmp_path))
    assert _samples(merge)[("sloughgpt_quota_refusals_total", (("limit", "chat_tokens_per_day"),))] == 3
    # when the folder is emptied (a restart) and a new process records other series
    for file in tmp_path.glob("*.db"):
        file.unlink()
    worker = Worker(tmp_path)
    worker.record('m.QUOTA_REFUSALS.labels("concurrent_generations").inc()')
    worker.stop()
    samples = _samples(merge)
    # then only the new file's values are shown
    assert samples == _samples(MultiProcessCollector(None, path=str(tmp_path)))
    assert ("sloughgpt_quota_refusals_total", (("limit", "chat_tokens_per_day"),)) not in samples
