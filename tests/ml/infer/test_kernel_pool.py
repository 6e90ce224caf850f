"""The kernels' thread pool: results do not depend on the thread count or on other callers,
several threads may call the kernels at once, and a forked child can use them."""

from __future__ import annotations

import multiprocessing
import threading

import pytest
import torch

from ml.infer import kernels
from ml.infer.loader import load_model
from ml.infer.native import NativeDecoder
from ml.sou import read_sou
from ml.sou.quant import quantize
from tests.ml.infer.factories import sou_file

PROMPT = [5, 17, 42, 9, 3, 77, 12, 8]


def _decoder(path):
    model = load_model(read_sou(path), torch.device("cpu"), torch.float32)
    model.setup_caches(2, 64, dtype=torch.float32, device=torch.device("cpu"))
    return NativeDecoder.build(model)


def _prompt_then_steps(decoder, steps: int = 3) -> list[torch.Tensor]:
    logits = [decoder.prefill(PROMPT, 0)]
    for i in range(steps):
        token = int(logits[-1].argmax())
        logits.append(decoder.decode([token], [len(PROMPT) + i]))
    return logits


@pytest.fixture(scope="module")
def q8_path(tmp_path_factory):
    # wide enough that every product is shared out between threads
    return sou_file(tmp_path_factory.mktemp("pool"), "llama", "Q8_0", std=0.1, n_embd=256,
                    intermediate_size=512)


def test_logits_do_not_depend_on_the_thread_count(q8_path):
    # given the same model decoded with one thread and with four
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        alone = _prompt_then_steps(_decoder(q8_path))
        torch.set_num_threads(4)
        shared = _prompt_then_steps(_decoder(q8_path))
    finally:
        torch.set_num_threads(previous)
    # then every prompt and step gives bit-identical logits
    for one, four in zip(alone, shared, strict=True):
        assert torch.equal(one, four)


def test_threads_may_call_the_kernels_at_once(q8_path):
    # given the expected logits, computed with no one else around
    expected = _prompt_then_steps(_decoder(q8_path))
    results: list[list[torch.Tensor]] = [[] for _ in range(4)]

    def run(index: int) -> None:
        results[index] = _prompt_then_steps(_decoder(q8_path))

    # when four threads decode their own copies at the same time
    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # then each got exactly the logits it would have got alone
    for got in results:
        assert len(got) == len(expected)
        for mine, theirs in zip(got, expected, strict=True):
            assert torch.equal(mine, theirs)


def _product(lib, weights, x, threads: int) -> list[float]:
    """x (M, K) @ W^T through the kernels on `threads` threads, from plain buffers."""
    raw, (n, k) = weights
    out = torch.empty(x.shape[0], n)
    status = lib.sg_qmm(kernels.TYPE_CODES["Q8_0"], raw.data_ptr(), n, k, x.data_ptr(),
                        x.shape[0], None, out.data_ptr(), threads)
    assert status == 0
    return out.flatten().tolist()


def _child(weights, x, queue) -> None:
    # torch's own OpenMP threads do not survive a fork; only the kernels' pool is under test
    torch.set_num_threads(1)
    queue.put(_product(kernels.load(), weights, x, threads=2))


def test_a_forked_child_can_use_the_kernels_the_parent_used():
    # given a parent whose kernel threads have run a product
    lib = kernels.load()
    generator = torch.Generator().manual_seed(0)
    weight = torch.randn(512, 256, generator=generator)
    weights = (quantize(weight, "Q8_0"), (512, 256))
    x = torch.randn(3, 256, generator=generator)
    expected = _product(lib, weights, x, threads=2)
    # when a forked child (as a prefork worker pool makes them) runs it on two threads too
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child, args=(weights, x, queue))
    child.start()
    child.join(timeout=60)
    # then it finishes with the parent's numbers instead of waiting for threads it lacks
    if child.exitcode is None:
        child.kill()
    assert child.exitcode == 0
    assert queue.get(timeout=5) == expected
