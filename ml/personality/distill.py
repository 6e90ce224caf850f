"""Persona LoRA by context distillation: the model (or a teacher the caller gives, such as a
larger model) answers prompts in persona (with the personality's system prompt), the answers
become prompt/response pairs *without* that system prompt, and a LoRA trained on them teaches
the model to answer that way unprompted. The adapters are merged and the result is written as
a new `.sou` carrying the personality metadata.

Pipeline: `.sou` -> Hugging Face dir (training base) -> answers in persona (`Engine` or the
teacher) -> pairs
.jsonl -> `ml.train.train` with LoRA (loss on responses only) -> checkpoint -> merged `.sou`."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from ml.personality.base import Personality, PersonalityError
from ml.personality.evaluate import answer_perplexity, generate_answers
from ml.personality.steering import chat, write_steered


@dataclass
class DistillConfig:
    """How answers are generated and the LoRA is trained."""

    steps: int = 200  # optimizer steps of LoRA training
    lr: float = 1e-3  # peak learning rate; adapters start at zero, so they tolerate a high one
    r: int = 8  # adapter rank
    alpha: int = 16  # adapter scale is alpha / r
    batch_size: int = 4  # sequences per step
    block_size: int = 256  # training window in tokens: a prompt plus one answer fit
    max_tokens: int = 96  # tokens per distilled answer
    repetition_penalty: float = 1.1  # greedy small models loop without it
    qtype: str = "F32"  # tensor type of the merged model file
    seed: int = 0  # makes training reproducible
    device: str | None = None  # None = CUDA when available


# A teacher: answers chat prompts (each a list of {"role", "content"} messages, the
# personality's system prompt first) with at most `max_tokens` tokens each, in order.
AnswerFn = Callable[[Sequence[list[dict[str, str]]], int], list[str]]


def distill_pairs(
    engine,
    personality: Personality,
    prompts: Sequence[str],
    *,
    max_tokens: int,
    repetition_penalty: float,
    answer: AnswerFn | None = None,
) -> list[dict[str, str]]:
    """{"prompt", "response"} pairs: each prompt answered under the personality's system prompt,
    by `answer` (a teacher, e.g. a larger remote model) or else by the model itself (`engine`,
    greedy); empty answers are dropped (they teach nothing)."""
    conversations = [chat(personality.system_prompt(), p) for p in prompts]
    if answer is not None:
        answers = answer(conversations, max_tokens)
        if len(answers) != len(prompts):
            raise PersonalityError(f"the teacher gave {len(answers)} answers to {len(prompts)} prompts")
    else:
        answers = generate_answers(
            engine, conversations, max_tokens=max_tokens, repetition_penalty=repetition_penalty
        )
    return [{"prompt": p, "response": a} for p, a in zip(prompts, answers) if a]


def write_pairs(pairs: Sequence[dict[str, str]], path: str | os.PathLike) -> Path:
    path = Path(path)
    path.write_text(
        "".join(json.dumps(pair, ensure_ascii=False) + "\n" for pair in pairs), encoding="utf-8"
    )
    return path


def _train_config(base_dir: Path, pairs_path: Path, workdir: Path, config: DistillConfig):
    from ml.train import load_train_config

    return load_train_config(
        None,
        [
            f"model.base='{base_dir}'",
            f"model.block_size={config.block_size}",
            f"data.path='{pairs_path}'",
            f"data.val_path='{pairs_path}'",  # the pairs are the target: no held-out split needed
            "data.tokenizer='base'",
            f"data.cache_dir='{workdir / 'tokens'}'",
            f"train.out_dir='{workdir / 'run'}'",
            f"train.max_iters={config.steps}",
            f"train.batch_size={config.batch_size}",
            f"train.eval_interval={config.steps}",
            "train.eval_iters=2",
            f"train.log_interval={max(1, config.steps // 10)}",
            f"train.seed={config.seed}",
            f"train.device='{config.device or 'auto'}'",
            f"optim.lr={config.lr}",
            f"optim.min_lr={config.lr / 10}",
            f"optim.warmup_iters={max(1, config.steps // 10)}",
            "lora.enabled=true",
            f"lora.r={config.r}",
            f"lora.alpha={config.alpha}",
            "lora.dropout=0.0",
        ],
    )


def persona_lora(
    base_sou: str | os.PathLike,
    personality: Personality,
    prompts: Sequence[str],
    out_sou: str | os.PathLike,
    *,
    steps: int | None = None,
    config: DistillConfig | None = None,
    workdir: str | os.PathLike | None = None,
    answer: AnswerFn | None = None,
) -> dict:
    """Distil `personality` into a merged LoRA model at `out_sou`; returns a report with the
    perplexity of the distilled answers (no system prompt) before and after training.
    `workdir` keeps the intermediate files (HF dir, pairs, checkpoint); default: a temp dir.
    `answer` is the teacher that writes the in-persona answers; default: the model itself."""
    from ml.infer.engine import Engine
    from ml.infer.loader import load_model
    from ml.sou import read_sou
    from ml.sou.convert import export_hf_dir, import_checkpoint
    from ml.train import train

    config = config or DistillConfig()
    if steps is not None:
        config = DistillConfig(**{**asdict(config), "steps": steps})
    if not prompts:
        raise PersonalityError("persona LoRA needs at least one prompt to distil")
    with tempfile.TemporaryDirectory(prefix="persona-lora-") as scratch:
        work = Path(workdir) if workdir is not None else Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        engine = Engine.load(base_sou, config.device, max_batch=8)
        pairs = distill_pairs(
            engine,
            personality,
            prompts,
            max_tokens=config.max_tokens,
            repetition_penalty=config.repetition_penalty,
            answer=answer,
        )
        if not pairs:
            raise PersonalityError(f"{base_sou}: every distilled answer was empty")
        pairs_path = write_pairs(pairs, work / "pairs.jsonl")
        questions, answers = [p["prompt"] for p in pairs], [p["response"] for p in pairs]
        base_model = load_model(engine.sou, engine.device, engine.dtype)
        before = answer_perplexity(base_model, engine, questions, answers)
        del base_model

        export_hf_dir(base_sou, work / "base-hf")
        result = train(_train_config(work / "base-hf", pairs_path, work, config))
        merged = import_checkpoint(work / "run" / "last", work / "merged.sou", config.qtype)
        section = {
            "name": personality.name,
            "config": personality.to_dict(),
            "system_prompt": personality.system_prompt(),
            "method": "persona LoRA (context distillation)",
            "lora": {
                "r": config.r,
                "alpha": config.alpha,
                "steps": result.steps,
                "pairs": len(pairs),
            },
        }
        with read_sou(merged.path) as source:
            write_steered(source, out_sou, {}, section)
        tuned = Engine.load(out_sou, config.device, max_batch=1)
        tuned_model = load_model(tuned.sou, tuned.device, tuned.dtype)
        after = answer_perplexity(tuned_model, tuned, questions, answers)
    return {
        "out": str(out_sou),
        "personality": personality.name,
        "pairs": len(pairs),
        "steps": result.steps,
        "train_loss": result.loss,
        "pairs_perplexity_before": round(before, 4),
        "pairs_perplexity_after": round(after, 4),
        "teacher": "given" if answer is not None else "self",
    }
