"""Closing a scheduler (as the interpreter does at exit): the decode thread stops after its
step, a reply still being written ends with a clear error, and no new work is taken."""

from __future__ import annotations

import pytest

from ml.infer.engine import Engine


def test_close_stops_the_worker_and_tells_the_waiting_reader(llama_sou):
    # given a long reply under way
    engine = Engine.load(llama_sou, device="cpu")
    stream = engine.stream("The quick brown fox", max_tokens=110, temperature=0,
                           ignore_eos=True)
    first = next(stream)
    # when the scheduler is closed
    engine.scheduler.close()
    # then the reader hears why its reply stopped, and new requests are refused
    assert first.token_count == 1
    with pytest.raises(RuntimeError, match="shut down"):
        for _ in stream:
            pass
    with pytest.raises(RuntimeError, match="shutting down"):
        engine.stream("Hello", max_tokens=2)
