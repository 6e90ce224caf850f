"""Personality steering changes what the model says (and strength 0 changes nothing); the model
cache keeps engines within its memory budget, evicting the least recently used, and tells a
listener of each hit, load and eviction."""

import os

import pytest
import torch

from ml.infer.cache import ModelCache
from ml.infer.engine import Engine
from ml.sou import read_sou, write_sou
from tests.ml.infer.factories import sou_file

GREEDY = {"temperature": 0.0, "repetition_penalty": 1.0, "ignore_eos": True, "max_tokens": 16}


def with_steering(source, out, vectors: dict[int, torch.Tensor], personality: dict | None = None):
    """A copy of `source` carrying personality.steering.<layer> vectors."""
    with read_sou(source) as sou:
        tensors = {i.name: sou.tensor(i.name).clone() for i in sou.tensor_infos}
        tensors |= {f"personality.steering.{layer}": v for layer, v in vectors.items()}
        write_sou(out, config=sou.config, tensors=tensors, tokenizer_json=sou.tokenizer_json,
                  chat_template=sou.chat_template, generation=sou.metadata["generation"],
                  personality={"name": "loud", **(personality or {})},
                  provenance=sou.provenance)
    return out


def test_steering_changes_the_output_and_strength_zero_does_not(llama_sou, tmp_path):
    # given a model and the same model with a strong steering vector after block 0
    vector = torch.randn(64, generator=torch.Generator().manual_seed(0)) * 4
    steered = Engine.load(with_steering(llama_sou, tmp_path / "s.sou", {0: vector}), "cpu")
    plain = Engine.load(llama_sou, "cpu")

    # when both continue the same prompt greedily
    baseline = plain.complete("The quick brown fox", **GREEDY)
    at_zero = steered.complete("The quick brown fox", steering_strength=0.0, **GREEDY)
    at_one = steered.complete("The quick brown fox", steering_strength=1.0, **GREEDY)

    # then strength 0 says what the plain model says and strength 1 says something else
    assert at_zero == baseline
    assert at_one != baseline


def test_steered_and_unsteered_requests_share_a_batch(llama_sou, tmp_path):
    # given a steered file
    vector = torch.randn(64, generator=torch.Generator().manual_seed(0)) * 4
    engine = Engine.load(with_steering(llama_sou, tmp_path / "s.sou", {1: vector}), "cpu")
    alone = [engine.complete("The quick", steering_strength=s, **GREEDY) for s in (0.0, 1.0)]

    # when a steered and an unsteered request decode in one batch
    streams = [engine.scheduler.add(engine.request("The quick", steering_strength=s, **GREEDY))
               for s in (0.0, 1.0)]
    while not engine.scheduler.idle:
        engine.scheduler.step()

    # then each row is steered by its own strength only
    assert ["".join(d.text for d in s) for s in streams] == alone


def test_the_prompt_and_the_answer_are_steered_by_their_own_strengths(llama_sou, tmp_path):
    # given a file whose prompt is steered three times harder than its answers
    vector = torch.randn(64, generator=torch.Generator().manual_seed(0)) * 4
    split = {"steering_strength": 0.5, "prompt_steering_strength": 1.5}
    engine = Engine.load(with_steering(llama_sou, tmp_path / "s.sou", {0: vector}, split), "cpu")

    def say(**strengths):
        return engine.complete("The quick brown fox", **strengths, **GREEDY)

    plain = say(steering_strength=0.0, prompt_steering_strength=0.0)
    # then steering only the prompt, or only the answer, each changes what is said, differently
    prompt_only = say(steering_strength=0.0, prompt_steering_strength=1.5)
    answer_only = say(steering_strength=0.5, prompt_steering_strength=0.0)
    assert len({plain, prompt_only, answer_only}) == 3
    # and a request gets the file's split by default; naming a strength scales both
    assert say() == say(steering_strength=0.5, prompt_steering_strength=1.5) != answer_only
    assert say(steering_strength=1.0) == say(steering_strength=1.0, prompt_steering_strength=3.0)
    assert say(steering_strength=0.0) == plain


def test_steering_layer_without_a_vector_is_refused(llama_sou, tmp_path):
    path = with_steering(llama_sou, tmp_path / "s.sou", {0: torch.ones(64)})
    with pytest.raises(ValueError, match="no steering vector for layer 1"):
        Engine.load(path, "cpu", steering_layers=[1])


def test_model_cache_evicts_the_least_recently_used_engine_under_budget(tmp_path):
    # given three model files and a budget that holds two engines
    paths = [sou_file(tmp_path / str(i), "gpt2") for i in range(3)]
    size = Engine.load(paths[0], "cpu", max_seq_len=64).memory_bytes()
    options = {"device": "cpu", "max_seq_len": 64}

    events: list[tuple[str, str]] = []
    cache = ModelCache(budget_bytes=int(2.5 * size), on_event=lambda kind, path: events.append((kind, path)))

    # when the first two are loaded, the first used again, then the third loaded
    first = cache.get(paths[0], **options)
    cache.get(paths[1], **options)
    assert cache.get(paths[0], **options) is first
    cache.get(paths[2], **options)

    # then the second (least recently used) was evicted and the budget holds
    assert cache.paths() == [str(paths[0].resolve()), str(paths[2].resolve())]
    assert cache.used_bytes() <= cache.budget_bytes
    # and the listener heard each load, the hit and the eviction, naming the file
    first_path, second_path, third_path = (str(p.resolve()) for p in paths)
    assert events == [("load", first_path), ("load", second_path), ("hit", first_path),
                      ("load", third_path), ("evict", second_path)]


def test_model_cache_reloads_a_rewritten_file(tmp_path):
    # given a cached engine
    path = sou_file(tmp_path, "gpt2")
    cache = ModelCache(budget_bytes=1 << 30)
    before = cache.get(path, device="cpu")

    # when the file changes on disk (a new modification time)
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    # then the next get loads it afresh and drops the old version
    after = cache.get(path, device="cpu")
    assert after is not before
    assert cache.paths() == [str(path.resolve())]
