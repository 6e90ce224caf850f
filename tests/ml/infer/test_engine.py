"""The engine computes what transformers and our training modules compute, decodes batches
exactly as single requests, and streams, stops and refuses as a user expects."""

import pytest
import torch

from ml.infer.engine import ContextLengthError, Engine
from ml.infer.generate import decode_one, prefill
from ml.model_map import load_hf_dir
from ml.sou.convert import import_hf_dir
from tests.ml.infer.factories import hf_dir, hf_model, vocab_size

GREEDY = {"temperature": 0.0, "repetition_penalty": 1.0, "ignore_eos": True}


def cached_logits(engine: Engine, ids: list[int], split: int) -> torch.Tensor:
    """Logits (T - 1, V) for positions split-1.. through prefill then one-token decodes."""
    model = engine.model
    model.setup_caches(1, len(ids), dtype=torch.float32)
    with torch.inference_mode():
        rows = [prefill(model, torch.tensor(ids[:split]), 0)]
        for position in range(split, len(ids)):
            rows.append(decode_one(model, torch.tensor([[ids[position]]]),
                                   torch.tensor([[position]])))
    model.clear_caches()
    return torch.cat(rows)  # (T - split + 1, V)


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_engine_logits_equal_transformers_and_training_modules(family, tmp_path):
    # given a transformers model saved as a directory and imported as F32
    source = hf_dir(tmp_path / "hf", family)
    import_hf_dir(source, tmp_path / "m.sou", "F32")
    engine = Engine.load(tmp_path / "m.sou", "cpu")
    ids = torch.randint(0, vocab_size(), (40,), generator=torch.Generator().manual_seed(3))

    # when the engine prefills 8 tokens and decodes the rest one at a time through its cache
    got = cached_logits(engine, ids.tolist(), 8)

    # then every step's logits match transformers' and our training modules' full passes
    reference = hf_model(family).eval()
    training = load_hf_dir(source).model
    with torch.no_grad():
        theirs = reference(ids.unsqueeze(0)).logits[0, 7:]
        ours = training(ids.unsqueeze(0))[0, 7:]
    torch.testing.assert_close(got, theirs, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(got, ours, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_greedy_tokens_equal_transformers_over_64_steps(family, tmp_path):
    # given the same weights in transformers and in a .sou file
    source = hf_dir(tmp_path / "hf", family)
    import_hf_dir(source, tmp_path / "m.sou", "F32")
    engine = Engine.load(tmp_path / "m.sou", "cpu")
    prompt = "To be, or not to be"

    # when both decode greedily for 64 tokens
    ids = engine.encode(prompt)
    ours = [d.token_id for d in engine.stream(prompt, max_tokens=64, **GREEDY)]
    with torch.no_grad():
        theirs = hf_model(family).generate(
            torch.tensor([ids]), max_new_tokens=64, min_new_tokens=64, do_sample=False,
            eos_token_id=None, pad_token_id=0)[0, len(ids):].tolist()

    # then they pick the same tokens
    assert ours == theirs


def test_q8_0_agrees_with_f32_on_the_top_token(tmp_path):
    # given one model imported as F32 and as Q8_0
    source = hf_dir(tmp_path / "hf", "llama", std=0.05)
    import_hf_dir(source, tmp_path / "f32.sou", "F32")
    import_hf_dir(source, tmp_path / "q8.sou", "Q8_0")
    f32, q8 = Engine.load(tmp_path / "f32.sou", "cpu"), Engine.load(tmp_path / "q8.sou", "cpu")
    text = ("Grüße aus Köln! The quick brown fox jumps over the lazy dog while the cat sleeps. "
            "To be, or not to be, that is the question. def add(a, b): return a + b. ") * 2
    idx = torch.tensor([f32.encode(text)[:120]])

    # when both score the text
    with torch.no_grad():
        top_f32 = f32.model(idx).argmax(-1)
        top_q8 = q8.model(idx).argmax(-1)

    # then the most likely next token agrees at 99% of positions or more
    assert (top_f32 == top_q8).float().mean().item() >= 0.99


def test_batched_decoding_equals_one_at_a_time_with_rows_joining_later(llama_sou):
    # given three requests with different prompts and lengths, one of them sampled with a seed
    engine = Engine.load(llama_sou, "cpu", max_batch=4)
    requests = [
        engine.request("The quick brown fox", max_tokens=12, **GREEDY),
        engine.request("Grüße aus Köln", max_tokens=20, temperature=0.9, top_k=20, seed=7,
                       repetition_penalty=1.3, ignore_eos=True),
        engine.request("def add(a, b):", max_tokens=9, **GREEDY),
    ]
    alone = []
    for request in requests:
        stream = engine.scheduler.add(request)
        while not engine.scheduler.idle:
            engine.scheduler.step()
        alone.append([d.token_id for d in stream])

    # when they run together, the second joining after 3 steps and the third after 6
    scheduler = engine.scheduler
    streams = [scheduler.add(requests[0])]
    for step in range(40):
        if step == 3:
            streams.append(scheduler.add(requests[1]))
        if step == 6:
            streams.append(scheduler.add(requests[2]))
        scheduler.step()
    together = [[d.token_id for d in stream] for stream in streams]

    # then every request gets exactly the tokens it got alone
    assert scheduler.idle
    assert together == alone
    assert [len(t) for t in together] == [12, 20, 9]


def test_concurrent_streams_from_threads_all_finish(llama_sou):
    # given an engine shared by four threads
    import threading

    engine = Engine.load(llama_sou, "cpu", max_batch=2)
    results = {}

    def run(i):
        results[i] = [d for d in engine.stream(f"prompt {i}", max_tokens=5 + i, **GREEDY)]

    # when they stream at the same time (more of them than batch rows)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then each gets its own full answer, ending with "length"
    assert {i: len(r) for i, r in results.items()} == {i: 5 + i for i in range(4)}
    assert all(r[-1].finish_reason == "length" for r in results.values())


def test_stop_string_ends_generation_before_it(llama_sou):
    # given a generation and a piece of its text in the middle
    engine = Engine.load(llama_sou, "cpu")
    full = engine.complete("The quick", max_tokens=30, **GREEDY)
    stop = full[len(full) // 2:len(full) // 2 + 3]
    assert stop.strip(), f"pick another prompt: {full!r}"

    # when the same generation runs with that stop string
    deltas = list(engine.stream("The quick", max_tokens=30, stop=[stop], **GREEDY))

    # then the text ends right before the stop string's first occurrence, reason "stop"
    assert "".join(d.text for d in deltas) == full[:full.index(stop)]
    assert deltas[-1].finish_reason == "stop"


def test_end_of_turn_token_stops_and_max_tokens_gives_length(llama_sou):
    # given an engine whose file names <|im_end|> as end of sequence
    engine = Engine.load(llama_sou, "cpu")
    eos = engine.tokenizer.token_to_id("<|im_end|>")

    # when a generation runs with a tiny max_tokens, then it ends with "length"
    deltas = list(engine.stream("hi", max_tokens=3, **GREEDY))
    assert [d.finish_reason for d in deltas] == [None, None, "length"]
    assert [d.token_count for d in deltas] == [1, 2, 3]

    # and when every token but the end-of-turn token is forbidden, it stops at once
    engine.model.lm_head.weight.data[:] = 0
    engine.model.lm_head.weight.data[eos] = 1
    (only,) = list(engine.stream("hi", max_tokens=5, temperature=0.0))
    assert (only.token_id, only.finish_reason, only.text) == (eos, "stop", "")


def test_prompt_that_does_not_fit_the_context_is_refused(llama_sou):
    # given an engine with a 64-token context
    engine = Engine.load(llama_sou, "cpu", max_seq_len=64)
    prompt = "fox " * 20
    n = len(engine.encode(prompt))

    # when the prompt plus max_tokens exceed it, then ContextLengthError says by how much
    with pytest.raises(ContextLengthError, match=f"{n} tokens .* exceeds the context length of 64"):
        engine.stream(prompt, max_tokens=64 - n + 1)

    # and exactly filling the context is fine
    assert len(list(engine.stream(prompt, max_tokens=64 - n, **GREEDY))) == 64 - n


def test_chat_messages_use_the_files_template(llama_sou):
    # given an engine whose file carries an <|im_start|> chat template
    engine = Engine.load(llama_sou, "cpu")

    # when a chat is encoded
    ids = engine.encode([{"role": "user", "content": "Hallo"}])

    # then it is the rendered template, special tokens as single ids
    text = engine.tokenizer.decode(ids, skip_special_tokens=False)
    assert text == "<|im_start|>user\nHallo<|im_end|>\n<|im_start|>assistant\n"
    assert ids[0] == engine.tokenizer.token_to_id("<|im_start|>")


def test_streamed_deltas_concatenate_to_the_decoded_text(llama_sou):
    # given a sampled generation over a byte-level vocabulary (characters split over tokens)
    engine = Engine.load(llama_sou, "cpu")

    # when it is streamed
    deltas = list(engine.stream("北京 😀", max_tokens=40, temperature=1.5, seed=3,
                                ignore_eos=True))

    # then the deltas add up to the decoding of all its tokens
    ids = [d.token_id for d in deltas]
    assert "".join(d.text for d in deltas) == engine.tokenizer.decode(ids, skip_special_tokens=False)
