"""The persona evaluation harness: answer a probe set under each way of giving a model a
personality (none, system prompt only, steering vectors, a persona LoRA), then measure every
condition's answers: the mean of each style metric, the alignment with the personality
(`Personality.score`) and the perplexity of the answers under the unsteered base model (how
much the answers' fluency paid for the persona). Greedy decoding keeps conditions comparable."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from ml.data.errors import DataFormatError
from ml.personality.base import Personality, PersonalityError
from ml.personality.metrics import METRIC_NAMES, measure
from ml.personality.steering import (
    SteeringConfig,
    chat,
    compute_vectors,
    personality_section,
    write_steered,
)

PROBES_PATH = Path(__file__).with_name("probes.jsonl")
CONDITIONS = ("none", "system_prompt", "steering", "lora")


@dataclass(frozen=True)
class Probe:
    category: str  # advice, facts, opinions, creative, technical, emotional, small_talk
    prompt: str  # the user message


@dataclass
class EvalConfig:
    """How answers are generated and which conditions run."""

    max_tokens: int = 64  # tokens per answer: enough for style to show, cheap on a CPU
    repetition_penalty: float = 1.1  # greedy small models loop without it
    steering: SteeringConfig | None = (
        None  # on-the-fly vectors (and strength) when the file has none
    )
    strength: float | None = None  # steering strength; None = the file's (or steering's)
    limit: int | None = None  # N probes spread over the set (quick runs); None = all
    max_batch: int = 8  # answers decoded together
    device: str | None = None  # None = CUDA when available


def load_probes(path: str | os.PathLike = PROBES_PATH) -> list[Probe]:
    """Probes from a JSON-lines file of {"category", "prompt"} objects."""
    path = Path(path)
    probes = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(str(path), 0, str(exc)) from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFormatError(str(path), number, f"invalid JSON: {exc.msg}") from exc
        if not isinstance(record, dict) or not isinstance(record.get("prompt"), str):
            raise DataFormatError(str(path), number, "expected an object with a string 'prompt'")
        probes.append(Probe(str(record.get("category", "other")), record["prompt"]))
    if not probes:
        raise DataFormatError(str(path), 0, "no probes")
    return probes


def generate_answers(
    engine,
    prompts: Sequence[list[dict[str, str]]],
    *,
    max_tokens: int,
    repetition_penalty: float,
    strength: float = 0.0,
) -> list[str]:
    """Greedy answers to chat prompts, all submitted at once so they share decode steps."""
    streams = [
        engine.submit(
            engine.request(
                p,
                max_tokens=max_tokens,
                temperature=0.0,
                repetition_penalty=repetition_penalty,
                steering_strength=strength,
            )
        )
        for p in prompts
    ]
    return ["".join(delta.text for delta in stream).strip() for stream in streams]


@torch.inference_mode()
def answer_perplexity(model, engine, prompts: Sequence[str], answers: Sequence[str]) -> float:
    """exp(mean NLL) of the answers' tokens given their prompt (no system prompt) under `model`
    (a plain model without hooks or caches); nan when every answer is empty."""
    device = next(model.parameters()).device
    total, count = 0.0, 0
    for prompt, answer in zip(prompts, answers):
        head = engine.encode(chat(None, prompt))
        tail = engine.tokenizer.encode(answer, add_special_tokens=False).ids
        if not tail:
            continue
        ids = torch.tensor([head + tail], device=device)  # (1, T)
        logits = model(ids)[0, len(head) - 1 : -1].float()  # (len(tail), V)
        nll = torch.nn.functional.cross_entropy(logits, ids[0, len(head) :], reduction="sum")
        total, count = total + float(nll), count + len(tail)
    return math.exp(total / count) if count else float("nan")


def summarize(personality: Personality, answers: list[str]) -> dict:
    """Mean of every metric and the mean alignment of one condition's answers."""
    measured = measure(answers)
    alignment = personality.score(answers)
    means = {name: sum(m.values[name] for m in measured) / len(measured) for name in METRIC_NAMES}
    return {
        "metrics": {k: round(v, 4) for k, v in means.items()},
        "alignment": round(sum(alignment) / len(alignment), 4),
    }


def _steered_engine(model_path: Path, personality: Personality, config: EvalConfig, workdir: Path):
    """An engine whose file carries steering vectors: the model's own (those of the chosen
    layers only, when given), or ones computed now."""
    from ml.infer.engine import Engine
    from ml.sou import read_sou

    steering = config.steering or SteeringConfig()
    with read_sou(model_path) as sou:
        has_vectors = bool(sou.steering_vectors())
    if has_vectors:
        engine = Engine.load(
            model_path, config.device, max_batch=config.max_batch, steering_layers=steering.layers
        )
        return engine, "file"
    engine = Engine.load(model_path, config.device, max_batch=config.max_batch)
    vectors = compute_vectors(engine, personality, steering)
    section = personality_section(personality, sorted(vectors), steering, 0)
    steered = write_steered(engine.sou, workdir / "steered.sou", vectors, section)
    return Engine.load(steered, config.device, max_batch=config.max_batch), "computed"


def spread(probes: Sequence[Probe], limit: int | None) -> list[Probe]:
    """`limit` probes spread evenly over the set (so every category stays in a quick run)."""
    if limit is None or limit >= len(probes):
        return list(probes)
    return [probes[i * len(probes) // limit] for i in range(max(limit, 0))]


def evaluate(
    model_path: str | os.PathLike,
    personality: Personality,
    *,
    lora_path: str | os.PathLike | None = None,
    probes: Sequence[Probe] | None = None,
    config: EvalConfig | None = None,
) -> dict:
    """Answers and measurements for every condition that applies; see the module docstring."""
    from ml.infer.engine import Engine
    from ml.infer.loader import load_model

    config = config or EvalConfig()
    model_path = Path(model_path)
    probes = spread(list(probes if probes is not None else load_probes()), config.limit)
    if not probes:
        raise PersonalityError("no probes to evaluate")
    texts = [p.prompt for p in probes]
    plain = [chat(None, t) for t in texts]
    settings = {"max_tokens": config.max_tokens, "repetition_penalty": config.repetition_penalty}
    answers: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="persona-eval-") as workdir:
        engine, source = _steered_engine(model_path, personality, config, Path(workdir))
        strength = (
            config.strength if config.strength is not None else engine.default_steering_strength
        )
        answers["none"] = generate_answers(engine, plain, **settings)
        answers["system_prompt"] = generate_answers(
            engine, [chat(personality.system_prompt(), t) for t in texts], **settings
        )
        answers["steering"] = generate_answers(engine, plain, strength=strength, **settings)
        if lora_path is not None:
            lora = Engine.load(lora_path, config.device, max_batch=config.max_batch)
            answers["lora"] = generate_answers(lora, plain, **settings)
        base = load_model(engine.sou, engine.device, engine.dtype)  # no steering hooks
        conditions = {}
        for name, said in answers.items():
            conditions[name] = {
                **summarize(personality, said),
                "perplexity": round(answer_perplexity(base, engine, texts, said), 4),
            }
    reference = conditions["none"]["perplexity"]
    for values in conditions.values():
        values["perplexity_ratio"] = round(values["perplexity"] / reference, 4)
    return {
        "model": str(model_path),
        "lora": str(lora_path) if lora_path is not None else None,
        "personality": personality.to_dict(),
        "probes": len(probes),
        "max_tokens": config.max_tokens,
        "steering": {"source": source, "layers": engine.steering.layers, "strength": strength},
        "conditions": conditions,
        "answers": [
            {
                "category": p.category,
                "prompt": p.prompt,
                **{name: said[i] for name, said in answers.items()},
            }
            for i, p in enumerate(probes)
        ],
    }


TABLE_METRICS = (
    "alignment",
    "vader_compound",
    "vader_pos",
    "exclamation_rate",
    "emoji_density",
    "second_person_rate",
    "formality",
    "words",
    "perplexity",
)


def format_table(result: dict) -> str:
    """One row per condition: alignment, the key metrics and the answers' perplexity; then
    every metric's mean."""
    conditions = result["conditions"]

    def value(values: dict, key: str) -> float:
        return values.get(key, values["metrics"].get(key, float("nan")))

    lines = [f"{'condition':<14}" + "".join(f"{k[:12]:>13}" for k in TABLE_METRICS)]
    for name, values in conditions.items():
        lines.append(f"{name:<14}" + "".join(f"{value(values, k):>13.4f}" for k in TABLE_METRICS))
    lines.append("")
    lines.append(f"{'metric (mean)':<22}" + "".join(f"{n:>15}" for n in conditions))
    for metric in METRIC_NAMES:
        lines.append(
            f"{metric:<22}" + "".join(f"{v['metrics'][metric]:>15.4f}" for v in conditions.values())
        )
    return "\n".join(lines)


def save_report(result: dict, out_dir: str | os.PathLike) -> dict[str, str]:
    """`persona_eval.json` and `persona_eval.png` in `out_dir`; returns their paths."""
    from ml.personality.chart import plot_conditions

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "persona_eval.json"
    json_path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    png_path = plot_conditions(result, out_dir / "persona_eval.png")
    return {"json": str(json_path), "png": str(png_path)}
