"""The KV-cache gauges in /metrics follow the engine down: once a reply is stopped, finishes
or fails and the engine is idle, the bytes in use read 0 (the allocated cache stays)."""

from __future__ import annotations

import pytest

from apps.chat.inference import run_generation
from apps.chat.tests.factories import write_tiny_sou
from ml.infer.engine import Engine

from .scrape import scrape, value

pytestmark = pytest.mark.django_db
USED = "sloughgpt_inference_kv_cache_used_bytes"
ALLOCATED = "sloughgpt_inference_kv_cache_allocated_bytes"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return Engine.load(write_tiny_sou(tmp_path_factory.mktemp("kv") / "tiny.sou"), device="cpu")


def _generate(engine, version: int, *, stop: bool, on_text=lambda text: None):
    request = engine.request([{"role": "user", "content": "Tell me a long story"}], max_tokens=200,
                             temperature=0.0, ignore_eos=True)
    return run_generation(engine, request, requested_at=0.0, on_text=on_text,
                          should_stop=lambda: stop, batch_s=0.0, model_version_id=version)


def test_a_stopped_reply_leaves_no_kv_cache_in_use(client, engine):
    # given a model version whose reply is under way
    version = 9_001
    # when the user stops it after its first text and nothing else runs
    result = _generate(engine, version, stop=True)
    # then the gauge says no cache is in use, while the allocated cache is still counted
    samples = scrape(client)
    assert result.finish_reason == "cancelled"
    assert value(samples, USED, model_version=str(version)) == 0
    assert value(samples, ALLOCATED, model_version=str(version)) > 0


def test_a_failed_reply_leaves_no_kv_cache_in_use(client, engine):
    # given a reply whose relay fails after the first tokens
    version = 9_002

    def relay_fails(text):
        raise ConnectionError("the relay went away")

    # when the generation fails
    with pytest.raises(ConnectionError):
        _generate(engine, version, stop=False, on_text=relay_fails)
    # then the gauge says no cache is in use
    assert value(scrape(client), USED, model_version=str(version)) == 0
