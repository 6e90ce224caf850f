"""Steering vectors by contrastive activation addition: the same prompts are run once under the
personality's system prompt and once under a neutral one, the residual stream after each chosen
decoder block is read at the last prompt token (where the model decides how to answer), and the
per-layer difference of the two means is the direction that turns the model into the persona.
`steer_file` writes a new `.sou` with every tensor copied byte for byte plus the vectors
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

    layers: list[int] | None = None  # decoder blocks to steer; None = the middle third
    strength: float = 4.0  # default steering_strength stored in the file
    reduce: Literal["last", "mean"] = "last"  # last prompt token, or the mean over tokens
    normalize: bool = False  # unit-length vectors: strength is then in residual-norm units


def default_layers(n_layer: int) -> list[int]:
    """The middle third of the blocks: early blocks still read tokens, late ones write them;
    style lives in between."""
    start = n_layer // 3
    return list(range(start, max(start + 1, 2 * n_layer // 3)))


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
    model: nn.Module, prompts: Sequence[Sequence[int]], layers: Sequence[int], reduce: str = "last"
) -> dict[int, torch.Tensor]:
    """Mean residual stream after each block in `layers` over prompts (token ids), read at the
    last token or averaged over tokens -> {layer: (C,)} in float32. The model must have no KV
    caches set up (a plain forward)."""
    captured: dict[int, torch.Tensor] = {}

    def hook(layer):
        def read(module, args, output):
            hidden = output[0] if isinstance(output, tuple) else output  # (1, T, C)
            picked = hidden[0, -1] if reduce == "last" else hidden[0].mean(0)  # (C,)
            captured[layer] = captured.get(layer, 0) + picked.float()

        return read

    handles = [model.blocks[layer].register_forward_hook(hook(layer)) for layer in layers]
    device = next(model.parameters()).device
    try:
        for ids in prompts:
            model(torch.tensor([list(ids)], device=device))  # (1, T) -> logits, unused
    finally:
        for handle in handles:
            handle.remove()
    return {layer: captured[layer].cpu() / len(prompts) for layer in layers}


def contrast_vectors(
    model: nn.Module,
    persona_prompts: Sequence[Sequence[int]],
    neutral_prompts: Sequence[Sequence[int]],
    layers: Sequence[int],
    reduce: str = "last",
    normalize: bool = False,
) -> dict[int, torch.Tensor]:
    """mean(persona) - mean(neutral) of the residual stream per layer -> {layer: (C,)}."""
    if not persona_prompts or not neutral_prompts:
        raise PersonalityError("steering needs at least one persona and one neutral prompt")
    persona = residuals(model, persona_prompts, layers, reduce)
    neutral = residuals(model, neutral_prompts, layers, reduce)
    vectors = {layer: persona[layer] - neutral[layer] for layer in layers}
    if normalize:
        vectors = {layer: v / v.norm().clamp_min(1e-8) for layer, v in vectors.items()}
    return vectors


def compute_vectors(
    engine,
    personality: Personality,
    config: SteeringConfig,
    prompts: Sequence[str] = DEFAULT_CONTRAST_PROMPTS,
) -> dict[int, torch.Tensor]:
    """Vectors for `personality` on a freshly loaded `Engine` (before it generated anything, so
    its model runs plain forwards): persona vs neutral system prompt on the same prompts."""
    n_layer = len(engine.model.blocks)
    layers = check_layers(
        config.layers if config.layers is not None else default_layers(n_layer),
        n_layer,
        str(engine.path),
    )
    persona = [engine.encode(chat(personality.system_prompt(), p)) for p in prompts]
    neutral = [engine.encode(chat(NEUTRAL_SYSTEM_PROMPT, p)) for p in prompts]
    return contrast_vectors(engine.model, persona, neutral, layers, config.reduce, config.normalize)


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
    engine = Engine.load(model_path, device, max_batch=1)
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
