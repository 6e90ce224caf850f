"""Steering vectors by contrastive activation addition: the same prompts are answered several
times under the personality's system prompt and under a neutral one; the persona answers the
personality scores highest and the neutral answers it scores lowest are read back without any
system prompt, the residual stream after each chosen decoder block is averaged over the answer
tokens, and the per-layer difference of the two means is the direction of what the score
measures (rather than of everything the persona prompt changes). The direction's component
along the stream's own mean is dropped and the rest is scaled to the stream's typical length at
that block, so a strength is a share of the residual norm (0.1 adds a tenth of it). The
prompt's positions are pushed harder than the generated tokens (`SteeringConfig.prompt_scale`):
most of the shift in what the model says comes from how it read the prompt, while every push
on its own tokens costs fluency.
(`SteeringConfig.contrast = "answer"` contrasts one greedy answer per prompt on each side,
unranked; `"prompt"` reads the last prompt token under each system prompt: no generation, but
it also encodes "a system prompt was given".) `steer_file` writes a new `.sou` with every tensor
copied byte for byte plus the vectors (`personality.steering.<layer>`) and the personality
metadata the engine reads."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from torch import nn

from ml.personality.base import Personality, PersonalityError
from ml.personality.metrics import measure
from ml.sou import SouFile, read_sou
from ml.sou.api import tool_version
from ml.sou.constants import SECTION_PERSONALITY, SECTION_PROVENANCE, STEERING_PREFIX
from ml.sou.writer import SouWriter, TensorSpec

NEUTRAL_SYSTEM_PROMPT = "You are a helpful assistant."

# Prompts the vectors are computed on when the caller gives none: varied requests, so the
# direction captures the persona rather than one topic; 48 rather than 16, because on SmolLM2
# the direction from 16 still moved with the sample (cosine 0.86 to the one from 48).
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
    "How do I change a flat tyre?",
    "What is the tallest mountain in the world?",
    "Can you explain how rainbows form?",
    "My neighbour plays loud music at night.",
    "Write a sentence about a forest.",
    "What do you think of winter mornings?",
    "How does a refrigerator keep food cold?",
    "Give me a tip for keeping a tidy desk.",
    "What is your favourite kind of weather?",
    "My phone battery dies too fast. What can I do?",
    "Describe a dog in one sentence.",
    "What should I read next?",
    "Why do cats purr?",
    "I start a new school next week.",
    "Recommend a board game for a family evening.",
    "How do I make a cup of tea?",
    "What language is spoken in Brazil?",
    "Tell me about your favourite place.",
    "What is gravity?",
    "I lost my keys again.",
    "Write a line about the mountains.",
    "What do you think of long train journeys?",
    "How does a computer mouse work?",
    "Give me advice on running my first 5k.",
    "What is a good gift for a grandparent?",
    "My spreadsheet formula shows an error. What should I check?",
    "Describe a thunderstorm in one sentence.",
    "What should I do on a free Saturday?",
    "Why do we need sleep?",
    "I have to give a toast at a wedding.",
    "Suggest a name for a goldfish.",
    "How do bees make honey?",
)


@dataclass
class SteeringConfig:
    """How the vectors are computed and how strongly the engine applies them by default."""

    layers: list[int] | None = None  # decoder blocks to steer; None = `default_layers`
    # Default steering_strength stored in the file, on generated tokens: with `normalize`, the
    # share of the residual norm added (the old raw strength 4 was about 0.4 of the norm and
    # cost 2.4 to 11 times the answer perplexity).
    strength: float = 0.06
    # The prompt's positions get `strength * prompt_scale` (stored as prompt_steering_strength).
    # On SmolLM2 (61 probes, block 12, scored direction): 0.2 on the prompt and 0.06 on the
    # answer gained VADER +0.21 to +0.23 for +16% answer perplexity, where 0.1 on both gained
    # +0.16 for +15% and 0.12 on both +0.13 to +0.22 for +18 to +20%; steering the answer
    # alone gained half as much for the same perplexity (benchmarks/README.md).
    prompt_scale: float = 0.2 / 0.06
    # "answer": the model answers each prompt under the persona and the neutral system prompt,
    # and the answers are read back *without* a system prompt, averaged over their tokens (the
    # style itself, free of the instruction); "prompt": the last prompt token under each system
    # prompt (no generation: cheaper, but it also carries "a system prompt was given").
    # "scored": like "answer", but each prompt is answered `samples` times under both system
    # prompts and only the best-scoring persona answers and worst-scoring neutral ones are read:
    # on SmolLM2 (61 probes, block 12, 0.1) VADER +0.16 for +15% answer perplexity where
    # "answer" gained +0.05 for +18%, at four times the generation cost.
    contrast: Literal["answer", "prompt", "scored"] = "scored"
    answer_tokens: int = 48  # tokens per contrast answer: more tokens, a steadier mean
    # "scored" only: answers per prompt and system prompt, the first greedy and the rest
    # sampled; 4 gives a ranking to choose from at four times the generation cost.
    samples: int = 4
    temperature: float = 0.8  # "scored" only: sampling temperature of the extra answers
    keep: int = 1  # "scored" only: answers kept per prompt on each side, < `samples`
    # "scored" only: how answers are ranked; "alignment" = `Personality.score`, "sentiment" =
    # VADER compound (what a warm persona's sentiment target reads).
    score: Literal["alignment", "sentiment"] = "alignment"
    seed: int = 0  # "scored" only: seeds the sampled answers, so vectors are reproducible
    # Drop the difference's component along the stream's mean direction: on SmolLM2 the raw
    # difference points half against it (cosine -0.5 at blocks 2 to 8), so adding it shrinks
    # the whole stream, which costs fluency without adding style.
    project_mean: bool = True
    # Scale each vector to the stream's mean token norm at its block, so a strength means the
    # same push at every block (the raw difference is 6 to 12% of that norm, varying by block).
    normalize: bool = True

    @property
    def prompt_strength(self) -> float:
        """The default strength on the prompt's positions."""
        return self.strength * self.prompt_scale


def default_layers(n_layer: int) -> list[int]:
    """One block two fifths of the way up: early blocks still read tokens and steering them
    breaks words, late ones write the next token; on SmolLM2-135M block 12 of 30 moved the
    sentiment most for the fluency lost (benchmarks/README.md, persona injection)."""
    return [n_layer * 2 // 5]


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


@dataclass
class Stream:
    """The residual stream after one block, over the tokens read."""

    mean: torch.Tensor  # (C,) mean activation, float32
    norm: float  # mean length of one token's activation


class _Read(Exception):
    """Raised by the last hook once every wanted block has been read: the blocks above it and
    the output head have nothing left to give."""


# Sequences per forward when reading the stream: right-padded, which the causal mask keeps
# from touching any real token.
READ_BATCH = 16


@torch.inference_mode()
def residuals(
    model: nn.Module,
    sequences: Sequence[Sequence[int]],
    layers: Sequence[int],
    starts: Sequence[int] | None = None,
) -> dict[int, Stream]:
    """The residual stream after each block in `layers` over sequences (token ids), read at
    the last token, or at every position from `starts[i]` on when given (every token weighs
    the same) -> {layer: Stream}. The model must have no KV caches set up (a plain forward).
    Sequences go READ_BATCH at a time, and each forward stops after the last block read."""
    sums: dict[int, torch.Tensor] = {}
    norms: dict[int, float] = {}
    picks: list[tuple[int, int, int]] = []  # (batch row, first position, end) of this batch
    last = max(layers)

    def hook(layer):
        def read(module, args, output):
            hidden = output[0] if isinstance(output, tuple) else output  # (B, T, C)
            picked = torch.cat([hidden[row, begin:end] for row, begin, end in picks]).float()
            sums[layer] = sums.get(layer, 0) + picked.sum(0)
            norms[layer] = norms.get(layer, 0.0) + float(picked.norm(dim=-1).sum())
            if layer == last:
                raise _Read

        return read

    handles = [model.blocks[layer].register_forward_hook(hook(layer)) for layer in layers]
    device = next(model.parameters()).device
    count = 0
    try:
        for first in range(0, len(sequences), READ_BATCH):
            batch = [list(ids) for ids in sequences[first:first + READ_BATCH]]
            picks = []
            for row, ids in enumerate(batch):
                begin = len(ids) - 1 if starts is None else starts[first + row]
                if len(ids) > begin:
                    picks.append((row, begin, len(ids)))
                    count += len(ids) - begin
            if not picks:
                continue
            width = max(len(ids) for ids in batch)
            padded = torch.tensor([ids + [0] * (width - len(ids)) for ids in batch],
                                  device=device)  # (B, T)
            try:
                model(padded)
            except _Read:
                pass
    finally:
        for handle in handles:
            handle.remove()
    if not count:
        raise PersonalityError("steering: no tokens to read (every contrast answer is empty)")
    return {layer: Stream(sums[layer].cpu() / count, norms[layer] / count) for layer in layers}


def contrast_vectors(
    model: nn.Module,
    persona: Sequence[Sequence[int]],
    neutral: Sequence[Sequence[int]],
    layers: Sequence[int],
    persona_starts: Sequence[int] | None = None,
    neutral_starts: Sequence[int] | None = None,
    project_mean: bool = True,
    normalize: bool = True,
) -> dict[int, torch.Tensor]:
    """mean(persona) - mean(neutral) of the residual stream per layer, less its component
    along the stream's mean (`project_mean`), at the stream's mean token norm (`normalize`)
    -> {layer: (C,)}."""
    if not persona or not neutral:
        raise PersonalityError("steering needs at least one persona and one neutral prompt")
    high = residuals(model, persona, layers, persona_starts)
    low = residuals(model, neutral, layers, neutral_starts)
    vectors = {}
    for layer in layers:
        vector = high[layer].mean - low[layer].mean  # (C,)
        if project_mean:
            centre = high[layer].mean + low[layer].mean  # (C,) twice the stream's mean
            centre = centre / centre.norm().clamp_min(1e-8)
            vector = vector - (vector @ centre) * centre
        if normalize:
            length = (high[layer].norm + low[layer].norm) / 2
            vector = vector / vector.norm().clamp_min(1e-8) * length
        vectors[layer] = vector
    return vectors


def _answers(
    engine,
    system: str,
    prompts: Sequence[str],
    tokens: int,
    samples: int = 1,
    temperature: float = 0.0,
    seed: int = 0,
) -> list[list[list[int]]]:
    """`samples` answers (token ids) per prompt under `system`: the first greedy, the rest
    sampled at `temperature`, each with a seed of its own."""
    streams = [
        [
            engine.submit(
                engine.request(
                    chat(system, p),
                    max_tokens=tokens,
                    temperature=0.0 if k == 0 else temperature,
                    repetition_penalty=1.1,
                    seed=None if k == 0 else seed * 1_000_003 + k * 1_009 + i,
                )
            )
            for k in range(samples)
        ]
        for i, p in enumerate(prompts)
    ]
    return [[[delta.token_id for delta in stream] for stream in row] for row in streams]


def _read_back(engine, prompts: Sequence[str], picks: Sequence[tuple[int, list[int]]]):
    """(ids of prompt + answer without any system prompt, where the answer starts) for each
    (prompt index, answer ids)."""
    heads = [engine.encode(chat(None, p)) for p in prompts]
    return [heads[i] + answer for i, answer in picks], [len(heads[i]) for i, _ in picks]


def _greedy(engine, system: str, prompts: Sequence[str], config: SteeringConfig):
    """One greedy answer per prompt under `system`, read back without it."""
    answers = _answers(engine, system, prompts, config.answer_tokens)
    return _read_back(engine, prompts, [(i, row[0]) for i, row in enumerate(answers)])


def answer_scores(personality: Personality, texts: Sequence[str], score: str) -> list[float]:
    """How much each text is what the contrast looks for: the personality's alignment, or its
    VADER compound sentiment."""
    if score == "alignment":
        return personality.score(texts)
    if score == "sentiment":
        return [m.values["vader_compound"] for m in measure(texts)]
    raise PersonalityError(f"steering: unknown answer score {score!r} (alignment, sentiment)")


def pick_scored(
    scores: Sequence[Sequence[float]], keep: int, *, highest: bool, side: str
) -> list[tuple[int, int]]:
    """(prompt, answer) indices of the `keep` highest-scoring (or lowest-scoring) answers of
    each prompt; on a tie the earlier answer (the greedy one first) wins."""
    if keep < 1:
        raise PersonalityError(f"steering: keep must be at least 1, got {keep}")
    picked = []
    for prompt, row in enumerate(scores):
        if len(row) <= keep:
            raise PersonalityError(
                f"steering: the {side} answers to contrast prompt {prompt} number {len(row)}; "
                f"keeping {keep} of them needs more than {keep}, or nothing is ranked away"
            )
        order = sorted(range(len(row)), key=lambda k: (-row[k] if highest else row[k], k))
        picked += [(prompt, k) for k in order[:keep]]
    return picked


@dataclass
class Picked:
    """One contrast answer chosen by its score."""

    prompt: int  # index of its contrast prompt
    ids: list[int]  # the answer's token ids
    text: str  # the answer as text, as it was scored
    score: float  # its `SteeringConfig.score`


def scored_answers(
    engine, personality: Personality, config: SteeringConfig, prompts: Sequence[str]
) -> tuple[list[Picked], list[Picked]]:
    """Each prompt answered `config.samples` times under the persona's and the neutral system
    prompt -> (the `keep` best-scoring persona answers, the `keep` worst-scoring neutral ones)
    per prompt, in prompt order."""
    sides = []
    for system, highest, side in (
        (personality.system_prompt(), True, "persona"),
        (NEUTRAL_SYSTEM_PROMPT, False, "neutral"),
    ):
        answers = _answers(
            engine,
            system,
            prompts,
            config.answer_tokens,
            config.samples,
            config.temperature,
            config.seed,
        )
        texts = [[engine.tokenizer.decode(a).strip() for a in row] for row in answers]
        flat = answer_scores(personality, [t for row in texts for t in row], config.score)
        scores = [flat[i * config.samples : (i + 1) * config.samples] for i in range(len(prompts))]
        picks = pick_scored(scores, config.keep, highest=highest, side=side)
        sides.append([Picked(i, answers[i][k], texts[i][k], scores[i][k]) for i, k in picks])
    return sides[0], sides[1]


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
    if config.contrast not in ("answer", "prompt", "scored"):
        raise PersonalityError(
            f"steering: unknown contrast {config.contrast!r} (answer, prompt, scored)"
        )
    if config.contrast == "scored" and config.samples < 2:
        raise PersonalityError(
            f"steering: the scored contrast ranks several answers per prompt; samples must be "
            f"at least 2, got {config.samples}"
        )
    if config.contrast == "scored" and not 1 <= config.keep < config.samples:
        raise PersonalityError(
            f"steering: keep must be from 1 to samples - 1 ({config.samples - 1}), so some "
            f"answers are ranked away; got {config.keep}"
        )
    # A model of its own: the engine's keeps KV caches and steering hooks between requests.
    model = load_model(engine.sou, engine.device, engine.dtype)
    options = {"project_mean": config.project_mean, "normalize": config.normalize}
    if config.contrast == "prompt":
        persona = [engine.encode(chat(personality.system_prompt(), p)) for p in prompts]
        neutral = [engine.encode(chat(NEUTRAL_SYSTEM_PROMPT, p)) for p in prompts]
        return contrast_vectors(model, persona, neutral, layers, **options)
    if config.contrast == "scored":
        high, low = scored_answers(engine, personality, config, prompts)
        persona, persona_starts = _read_back(engine, prompts, [(a.prompt, a.ids) for a in high])
        neutral, neutral_starts = _read_back(engine, prompts, [(a.prompt, a.ids) for a in low])
    else:
        persona, persona_starts = _greedy(engine, personality.system_prompt(), prompts, config)
        neutral, neutral_starts = _greedy(engine, NEUTRAL_SYSTEM_PROMPT, prompts, config)
    return contrast_vectors(
        model, persona, neutral, layers, persona_starts, neutral_starts, **options
    )


def personality_section(
    personality: Personality, layers: list[int], config: SteeringConfig, prompts: int
) -> dict:
    """What the file's `personality` metadata says about its steering."""
    return {
        "name": personality.name,
        "config": personality.to_dict(),
        "system_prompt": personality.system_prompt(),
        "steering_layers": layers,
        "steering_strength": float(config.strength),
        "prompt_steering_strength": float(config.prompt_strength),
        "steering_method": "contrastive activation addition (persona vs neutral system prompt)",
        "steering_contrast": config.contrast,
        # How the scored contrast ranked its answers (absent for the other contrasts).
        **(
            {"steering_score": config.score, "steering_samples": config.samples}
            if config.contrast == "scored"
            else {}
        ),
        "steering_mean_projected": config.project_mean,
        # True: a strength is a share of the residual norm; False: a multiple of the raw
        # difference of means.
        "steering_normalized": config.normalize,
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
    section = personality_section(personality, layers, config, len(prompts))
    write_steered(engine.sou, out, vectors, section)
    return {
        "out": str(out),
        "personality": personality.name,
        "layers": layers,
        "strength": config.strength,
        "prompt_strength": config.prompt_strength,
        "contrast": config.contrast,
        "vector_norms": {str(k): round(float(v.norm()), 4) for k, v in vectors.items()},
    }
