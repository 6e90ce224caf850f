"""The batch's usage as the KV-cache gauges read it: a request stops counting as soon as its
reader is told it ended or gives it up, so an engine left idle reports an empty cache."""

from __future__ import annotations

from ml.infer.engine import Engine


def test_a_given_up_reply_stops_counting_at_once(llama_sou):
    # given a long reply under way
    engine = Engine.load(llama_sou, device="cpu")
    stream = engine.stream("The quick brown fox", max_tokens=110, temperature=0, ignore_eos=True)
    next(stream)
    assert engine.scheduler.usage().cached_positions > 0
    # when its reader gives it up
    stream.close()
    # then the batch holds nothing, though the decode thread has not stepped since
    usage = engine.scheduler.usage()
    assert (usage.sequences, usage.cached_positions) == (0, 0)
    assert usage.allocated_positions > 0


def test_a_finished_reply_is_out_of_the_batch_when_its_reader_hears_the_end(llama_sou):
    # given short replies read to their end
    engine = Engine.load(llama_sou, device="cpu")
    seen = []
    for _ in range(5):
        for delta in engine.stream("To be, or not", max_tokens=3, temperature=0, ignore_eos=True):
            if delta.finish_reason is not None:
                # when the reader hears the end
                usage = engine.scheduler.usage()
                seen.append((usage.sequences, usage.cached_positions))
    # then the reply no longer counts
    assert seen == [(0, 0)] * 5
