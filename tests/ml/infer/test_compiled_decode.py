"""Decode steps through torch.compile (the GPU option) give the replies eager steps give,
for several streams decoded together. On CPU the PyTorch path is taken in bf16, where no
native kernel takes the steps."""

from __future__ import annotations

import threading

import pytest
import torch

from ml.infer.engine import Engine

PROMPTS = ("To be", "The quick brown", "Once")


def _replies(engine: Engine) -> list[str]:
    replies = [""] * len(PROMPTS)

    def reply(i: int) -> None:
        replies[i] = engine.complete(PROMPTS[i], max_tokens=10, temperature=0, ignore_eos=True)

    threads = [threading.Thread(target=reply, args=(i,)) for i in range(len(PROMPTS))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return replies


@pytest.mark.slow
def test_compiled_decode_steps_reply_as_eager_ones(llama_sou):
    # given one model served with eager decode steps and with compiled ones
    eager = Engine.load(llama_sou, "cpu", dtype=torch.bfloat16, max_batch=4)
    compiled = Engine.load(llama_sou, "cpu", dtype=torch.bfloat16, max_batch=4,
                           compile_decode=True)

    # when three greedy replies run together on each
    expected = _replies(eager)
    got = _replies(compiled)

    # then the compiled engine took its steps through torch.compile and wrote the same text
    assert compiled.scheduler.decode_model is not compiled.model
    assert got == expected
    assert all(len(text) > 0 for text in got)
