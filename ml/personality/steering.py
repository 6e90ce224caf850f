"""Steering vectors by contrastive activation addition: the same prompts are answered once under
the personality's system prompt and once under a neutral one; the answers are read back without
any system prompt, the residual stream after each chosen decoder block is averaged over the
answer tokens, and the per-layer difference of the two means is the direction of the persona's
style. (`SteeringConfig.contrast = "prompt"` reads the last prompt token under each system
prompt instead: no generation, but it also encodes "a system prompt was given".) `steer_file`
writes a new `.sou` with every tensor copied byte for byte plus the vectors
(`personality.steering.<layer>`) and the personality metadata the engine reads."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from torch import nn

from ml.personality.base import Personality, PersonalityError
from ml.sou import SouFile, read_sou
from ml.sou.api import tool_version
from ml.sou.constants import SECTION_PERSONALITY, SECTION_PROVENANCE, STEERING_PREFIX
from ml.sou.writer import SouWriter, TensorSpec

NEUTRAL_SYSTEM_PROMPT = "You are a helpful assistant."

# Prompts the vectors are computed on when the caller gives none: varied requests, so the
# direction captures the persona rather than one topic.
DEFAULT_CONTRAST_PROMPTS = (
    "How do I boil an egg?",
    "What is the capital of France?",
    "Tell me about your weekend.",
    "Can you explain what a black hole is?",
    "I failed my driving test today.",
    "Write a sentence about the sea.",
    "What do you think of Mondays?",
    "How does a bicycle work?",
    "Give me a tip for learning to cook.",
    "What is your favourite season?",
    "My code does not compile. What should I check?",
    "Describe a cat in one sentence.",
    "What should I eat for dinner?",
    "Why is the sky blue?",
    "I have a job interview tomorrow.",
    "Recommend a hobby for a rainy day.",
)


@dataclass
class SteeringConfig:
    """How the vectors are computed and how strongly the engine applies them by default."""

    layers: list[int] | None = None  # decoder blocks to steer; None = `default_layers`
    strength: float = 4.0  # default steering_strength stored in the file
    # "answer": the model answers each prompt under the persona and the neutral system prompt,
    # and the answers are read back *without* a system prompt, averaged over their tokens (the
    # style itself, free of the instruction); "prompt": the last prompt token under each system
    # prompt (no generation: cheaper, but it also carries "a system prompt was given").
    contrast: Literal["answer", "prompt"] = "answer"
    answer_tokens: int = 32  # tokens per contrast answer
    normalize: bool = False  # unit-length vectors: strength is then in residual-norm units


def default_layers(n_layer: int) -> list[int]:
    """One block about a quarter of the way up: early blocks still read tokens and steering
    them breaks words, late ones write the next token; on SmolLM2-135M block 8 of 30 moved the
    style most for the fluency lost (benchmarks/README.md, persona injection)."""
    return [n_layer * 4 // 15]


def check_layers(layers: Sequence[int], n_layer: int, where: str) -> list[int]:
    layers = sorted({int(layer) for layer in layers})
    if not layers:
        raise PersonalityError(f"{where}: no steering layers given")
    outside = [layer for layer in layers if not 0 <= layer < n_layer]
    if outside:
        raise PersonalityError(
            f"{where}: steering layer(s) {outside} outside the model's "
            f"{n_layer} blocks (0..{n_layer - 1})"
        )
    return layers


def chat(system: str | None, user: str) -> list[dict[str, str]]:
    """Chat messages for one prompt, with a system message when `system` is given."""
    head = [{"role": "system", "content": system}] if system else []
    return [*head, {"role": "user", "content": user}]


@torch.inference_mode()
def residuals(
    model: nn.Module,
    prompts: Sequence[Sequence[int]],
    layers: Sequence[int],
    starts: Sequence[int] | None = None,
) -> dict[int, torch.Tensor]:
    """Mean residual stream after each block in `layers` over sequences (token ids): at the last
    token, or averaged over positions from `starts[i]` on when given -> {layer: (C,)} in
    float32. The model must have no KV caches set up (a plain forward)."""
    captured: dict[int, torch.Tensor] = {}
    start = 0

    def hook(layer):
        def read(module, args, output):
            hidden = output[0] if isinstance(output, tuple) else output  # (1, T, C)
            picked = hidden[0, -1] if starts is None else hidden[0, start:].mean(0)  # (C,)
            captured[layer] = captured.get(layer, 0) + picked.float()

        return read

    handles = [model.blocks[layer].register_forward_hook(hook(layer)) for layer in layers]
    device = next(model.parameters()).device
    try:
        for i, ids in enumerate(prompts):
            start = 0 if starts is None else starts[i]
            model(torch.tensor([list(ids)], device=device))  # (1, T) -> logits, unused
    finally:
        for handle in handles:
            handle.remove()
    return {layer: captured[layer].cpu() / len(prompts) for layer in layers}


def contrast_vectors(
    model: nn.Module,
    persona: Sequence[Sequence[int]],
    neutral: Sequence[Sequence[int]],
    layers: Sequence[int],
    persona_starts: Sequence[int] | None = None,
    neutral_starts: Sequence[int] | None = None,
    normalize: bool = False,
) -> dict[int, torch.Tensor]:
    """mean(persona) - mean(neutral) of the residual stream per layer -> {layer: (C,)}."""
    if not persona or not neutral:
        raise PersonalityError("steering needs at least one persona and one neutral prompt")
    high = residuals(model, persona, layers, persona_starts)
    low = residuals(model, neutral, layers, neutral_starts)
    vectors = {layer: high[layer] - low[layer] for layer in layers}
    if normalize:
        vectors = {layer: v / v.norm().clamp_min(1e-8) for layer, v in vectors.items()}
    return vectors


def _answered(engine, system: str, prompts: Sequence[str], tokens: int):
    """(ids of prompt + answer without any system prompt, where the answer starts) per prompt,
    the answer generated greedily under `system`."""
    streams = [
        engine.submit(
            engine.request(
                chat(system, p), max_tokens=tokens, temperature=0.0, repetition_penalty=1.1
            )
        )
        for p in prompts
    ]
    answers = [[delta.token_id for delta in stream] for stream in streams]
    heads = [engine.encode(chat(None, p)) for p in prompts]
    return [h + a for h, a in zip(heads, answers)], [len(h) for h in heads]


def compute_vectors(
    engine,
    personality: Personality,
    config: SteeringConfig,
    prompts: Sequence[str] = DEFAULT_CONTRAST_PROMPTS,
) -> dict[int, torch.Tensor]:
    """Vectors for `personality` on a loaded `Engine`: persona vs neutral system prompt on the
    same prompts (see `SteeringConfig.contrast`)."""
    from ml.infer.loader import load_model

    n_layer = len(engine.model.blocks)
    layers = check_layers(
        config.layers if config.layers is not None else default_layers(n_layer),
        n_layer,
        str(engine.path),
    )
    # A model of its own: the engine's keeps KV caches and steering hooks between requests.
    model = load_model(engine.sou, engine.device, engine.dtype)
    if config.contrast == "prompt":
        persona = [engine.encode(chat(personality.system_prompt(), p)) for p in prompts]
        neutral = [engine.encode(chat(NEUTRAL_SYSTEM_PROMPT, p)) for p in prompts]
        return contrast_vectors(model, persona, neutral, layers, normalize=config.normalize)
    tokens = config.answer_tokens
    persona, persona_starts = _answered(engine, personality.system_prompt(), prompts, tokens)
    neutral, neutral_starts = _answered(engine, NEUTRAL_SYSTEM_PROMPT, prompts, tokens)
    return contrast_vectors(
        model, persona, neutral, layers, persona_starts, neutral_starts, config.normalize
    )


def personality_section(
    personality: Personality, layers: list[int], strength: float, prompts: int
) -> dict:
    """What the file's `personality` metadata says about its steering."""
    return {
        "name": personality.name,
        "config": personality.to_dict(),
        "system_prompt": personality.system_prompt(),
        "steering_layers": layers,
        "steering_strength": float(strength),
        "steering_method": "contrastive activation addition (persona vs neutral system prompt)",
        "steering_prompts": prompts,
    }


def write_steered(
    source: SouFile, out: str | os.PathLike, vectors: dict[int, torch.Tensor], personality: dict
) -> Path:
    """A copy of `source` with its tensors' bytes unchanged (no requantization), any old
    steering vectors replaced by `vectors` (F32, one per layer) and `personality` as metadata."""
    kept = [info for info in source.tensor_infos if not info.name.startswith(STEERING_PREFIX)]
    width = int(source.config["n_embd"])
    for layer, vector in vectors.items():
        if tuple(vector.shape) != (width,):
            raise PersonalityError(
                f"steering vector for layer {layer} has shape "
                f"{tuple(vector.shape)}, the model needs ({width},)"
            )
    specs = [TensorSpec(info.name, info.type_name, info.shape) for info in kept]
    specs += [TensorSpec(f"{STEERING_PREFIX}{layer}", "F32", (width,)) for layer in sorted(vectors)]
    metadata = dict(source.metadata)
    metadata[SECTION_PERSONALITY] = personality
    metadata[SECTION_PROVENANCE] = {**source.provenance, "created_by": tool_version()}
    with SouWriter(out) as writer:
        writer.write_header(metadata, specs)
        for info in kept:
            writer.write_tensor(info.name, source.raw(info.name)[2])
        for layer in sorted(vectors):
            data = vectors[layer].detach().to(torch.float32).contiguous().cpu().numpy()
            writer.write_tensor(f"{STEERING_PREFIX}{layer}", data)
        return writer.finish()


def steer_file(
    model_path: str | os.PathLike,
    personality: Personality,
    out: str | os.PathLike,
    config: SteeringConfig | None = None,
    prompts: Sequence[str] = DEFAULT_CONTRAST_PROMPTS,
    device: str | None = None,
) -> dict:
    """Compute `personality`'s vectors on the model at `model_path` and write `out`; returns
    a summary (layers, strength, vector norms)."""
    from ml.infer.engine import Engine

    config = config or SteeringConfig()
    with read_sou(model_path) as source:
        if source.tokenizer_json is None:
            raise PersonalityError(
                f"{model_path}: the file has no tokenizer, so the contrast "
                "prompts cannot be encoded"
            )
        if not source.chat_template:
            raise PersonalityError(
                f"{model_path}: the file has no chat template, so system prompts cannot be given"
            )
    engine = Engine.load(model_path, device, max_batch=8)
    vectors = compute_vectors(engine, personality, config, prompts)
    layers = sorted(vectors)
    section = personality_section(personality, layers, config.strength, len(prompts))
    write_steered(engine.sou, out, vectors, section)
    return {
        "out": str(out),
        "personality": personality.name,
        "layers": layers,
        "strength": config.strength,
        "vector_norms": {str(k): round(float(v.norm()), 4) for k, v in vectors.items()},
    }
