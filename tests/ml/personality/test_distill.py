"""Persona LoRA by context distillation on a tiny model: the pipeline runs from a `.sou` to a
merged `.sou`, and the merged model finds the in-persona answers more likely without the system
prompt than the base model did."""

from __future__ import annotations

import json

import pytest

from ml.infer.engine import Engine
from ml.personality import ConfigPersonality, PersonalityError
from ml.personality.distill import DistillConfig, persona_lora
from ml.sou import read_sou
from tests.ml.personality.test_steering import tiny_sou

PROMPTS = [
    "Hi!",
    "How are you?",
    "Why is the sky blue?",
    "What now?",
    "Tell me a joke.",
    "Good morning!",
]


@pytest.mark.slow
def test_persona_lora_moves_the_model_toward_the_distilled_answers(tmp_path):
    # given a tiny model and the cheerful personality
    base = tiny_sou(tmp_path / "base.sou")
    persona = ConfigPersonality.from_archetype("cheerful enthusiast")
    config = DistillConfig(
        lr=1e-2, r=4, alpha=8, batch_size=4, block_size=64, max_tokens=10, device="cpu"
    )

    # when a persona LoRA is distilled into it
    report = persona_lora(
        base,
        persona,
        PROMPTS,
        tmp_path / "lora.sou",
        steps=40,
        config=config,
        workdir=tmp_path / "work",
    )

    # then the distilled answers (asked without the system prompt) became more likely
    assert report["pairs"] == len(PROMPTS) and report["steps"] == 40
    assert report["pairs_perplexity_after"] < 0.8 * report["pairs_perplexity_before"]
    # and the training pairs carry no system prompt
    pairs = [json.loads(line) for line in (tmp_path / "work" / "pairs.jsonl").open()]
    assert [p["prompt"] for p in pairs] == PROMPTS
    assert all(persona.system_prompt() not in p["prompt"] for p in pairs)
    # and the merged model is a runnable file that says who it is
    with read_sou(tmp_path / "lora.sou") as merged:
        assert merged.personality["method"] == "persona LoRA (context distillation)"
        assert not merged.steering_vectors()
    assert Engine.load(tmp_path / "lora.sou", "cpu").complete("Hi", max_tokens=3) is not None


def test_no_prompts_is_refused(tmp_path):
    # when distilling without prompts, then the error says what is missing
    with pytest.raises(PersonalityError, match="at least one prompt"):
        persona_lora(
            tmp_path / "missing.sou",
            ConfigPersonality.from_archetype("sage"),
            [],
            tmp_path / "out.sou",
        )


def test_a_teacher_writes_the_answers_the_model_is_trained_toward(tmp_path):
    # given a teacher that answers every prompt in persona, and records what it was asked
    base = tiny_sou(tmp_path / "base.sou")
    persona = ConfigPersonality.from_archetype("cheerful enthusiast")
    asked = []

    def teacher(conversations, max_tokens):
        asked.extend(conversations)
        return [f"Wonderful question number {i}!" for i, _ in enumerate(conversations)]

    config = DistillConfig(lr=1e-2, r=4, alpha=8, batch_size=4, block_size=64, max_tokens=10, device="cpu")
    # when
    report = persona_lora(base, persona, PROMPTS[:2], tmp_path / "lora.sou", steps=2, config=config,
                          workdir=tmp_path / "work", answer=teacher)
    # then the teacher saw each prompt under the personality's system prompt, and its answers
    # are the training pairs
    assert [c[0] for c in asked] == [{"role": "system", "content": persona.system_prompt()}] * 2
    assert [c[1]["content"] for c in asked] == PROMPTS[:2]
    pairs = [json.loads(line) for line in (tmp_path / "work" / "pairs.jsonl").open()]
    assert pairs == [{"prompt": "Hi!", "response": "Wonderful question number 0!"},
                     {"prompt": "How are you?", "response": "Wonderful question number 1!"}]
    assert report["teacher"] == "given"
