"""Personality evaluations: ml's harness (`ml.personality.evaluate`) run on a model version
against a personality version, on the 61 shipped probes or a subset the user picks, stored as
a `PersonalityEvaluation`: the per-condition table (every metric, alignment, perplexity and
its ratio to no personality), alignment and VADER deltas against no personality, the chart
(PNG, under `storage.evaluation_dir`) and the answers side by side.

The *served* condition is the one a chat with the version gets: `steering` when its file
carries steering vectors, `system_prompt` when an application wrote a system prompt into it
(`PROMPT_METHOD`), else `none` (a merged persona LoRA is the model itself); the headline
numbers and the registry's personality gate read that condition. A file without vectors has
them computed on the fly for the harness's `steering` condition with the cheap prompt
contrast (no generation), so every report has the same conditions.

Requests are checked before anything is queued: the model must have a tokenizer and a chat
template (the probes are chat questions) and its context must hold the longest probe under
the personality's system prompt plus the answer tokens (400 saying so)."""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.core import leases
from apps.core.notifications import notify_user
from apps.core.user_paths import error_text
from apps.quotas.storage import storage_written

from . import runs, storage
from .loader import personality_version_load
from .models import PersonalityEvaluation, PersonalityVersion

if TYPE_CHECKING:
    from apps.registry.models import ModelVersion

logger = logging.getLogger(__name__)

DEFAULT_MAX_TOKENS = 64  # the CLI's: enough for style to show, cheap on a CPU
MAX_TOKENS_LIMIT = 256
# An evaluation no worker has taken up for this long was lost with its broker message.
QUEUED_TIMEOUT = timedelta(hours=1)
REPETITION_PENALTY = 1.1  # the harness's
# The `personality.method` an application writes into a system-prompt-only version.
PROMPT_METHOD = "system prompt"
Status = runs.Status


@functools.cache
def probe_set() -> tuple:
    """ml's shipped probes (61), in file order: a probe's id is its index here."""
    from ml.personality.evaluate import load_probes

    return tuple(load_probes())


def probe_ids_choose(*, probes: int | None = None, probe_ids: Sequence[int] | None = None) -> list[int]:
    """The probes to ask: `probe_ids` as given, or `probes` of them spread over the set (every
    category stays in a small subset, as the CLI's --limit), or all of them."""
    total = len(probe_set())
    if probes is not None and probe_ids is not None:
        raise ValidationError({"probe_ids": ["give probes (a count) or probe_ids, not both"]})
    if probe_ids is not None:
        chosen = list(dict.fromkeys(int(i) for i in probe_ids))
        outside = [i for i in chosen if not 0 <= i < total]
        if not chosen or outside:
            raise ValidationError({"probe_ids": [f"probe ids run from 0 to {total - 1}; got {outside or 'none'}"]})
        return chosen
    count = total if probes is None else int(probes)
    if not 1 <= count <= total:
        raise ValidationError({"probes": [f"between 1 and {total}"]})
    return [i * total // count for i in range(count)]


def max_tokens_check(max_tokens: int | None) -> int:
    value = DEFAULT_MAX_TOKENS if max_tokens is None else int(max_tokens)
    if not 1 <= value <= MAX_TOKENS_LIMIT:
        raise ValidationError({"max_tokens": [f"between 1 and {MAX_TOKENS_LIMIT}"]})
    return value


# -- what a model file can do --------------------------------------------------------------------
def canonical_path(version: ModelVersion) -> Path:
    from apps.registry import storage as registry_storage

    return registry_storage.canonical_fetched(version)


def _longest_prompt(sou, conversations: Sequence[list[dict[str, str]]]) -> int:
    """Tokens of the longest chat prompt, encoded as the engine encodes it."""
    from tokenizers import Tokenizer

    from ml.data.chat import render_chat

    tokenizer = Tokenizer.from_str(sou.tokenizer_json)
    generation = sou.generation

    def token_text(token_id) -> str:
        return "" if token_id is None else tokenizer.id_to_token(token_id) or ""

    eos = (generation.get("eos_token_ids") or [None])[0]
    longest = 0
    for messages in conversations:
        text = render_chat(sou.chat_template, messages, add_generation_prompt=True,
                           bos_token=token_text(generation.get("bos_token_id")), eos_token=token_text(eos))
        longest = max(longest, len(tokenizer.encode(text, add_special_tokens=False).ids))
    return longest


def prompts_fit_check(version: ModelVersion, *, checks: Sequence[tuple[str, str, Sequence, int]]) -> int:
    """Refuses (400 on `model_version_id`) a model that cannot ask chat questions or whose
    context cannot hold them: each check is (what, system prompt, user prompts, answer
    tokens). Returns the model's context length."""
    from ml.personality.steering import chat
    from ml.sou import SouFormatError, read_sou

    field = "model_version_id"
    try:
        sou = read_sou(canonical_path(version))
    except (OSError, SouFormatError) as exc:
        raise ValidationError({field: [f"the model file of {version} cannot be read: {error_text(exc)}"]}) from exc
    with sou:
        if sou.tokenizer_json is None:
            raise ValidationError({field: [f"{version} has no tokenizer, so it cannot be asked the probes"]})
        if not sou.chat_template:
            raise ValidationError({field: [
                f"{version} has no chat template, so it cannot be asked the probes (chat questions) "
                "or given a system prompt"]})
        context = int(sou.config.get("block_size") or 0)
        for what, system, prompts, tokens in checks:
            longest = _longest_prompt(sou, [chat(system or None, p) for p in prompts])
            if longest + tokens > context:
                raise ValidationError({field: [
                    f"the context of {version} holds {context} tokens; the longest of the {what} "
                    f"takes {longest} with the personality's system prompt, plus {tokens} for the "
                    f"answer makes {longest + tokens}: it cannot hold them (choose fewer answer "
                    "tokens or a model with a longer context)"]})
    return context


def served_condition(personality_section: dict | None, has_vectors: bool) -> str:
    if has_vectors:
        return "steering"
    if (personality_section or {}).get("method") == PROMPT_METHOD:
        return "system_prompt"
    return "none"


# -- create ---------------------------------------------------------------------------------------
def evaluation_check(*, version: ModelVersion, personality_version: PersonalityVersion,
                     probe_ids: list[int], max_tokens: int) -> None:
    """What `evaluation_create` needs to be true, for callers that check before they queue."""
    if version.status != version.Status.READY:
        raise ValidationError({"model_version_id": [f"{version} is {version.status}, not ready"]})
    persona = personality_version_load(personality_version)
    probes = probe_set()
    prompts_fit_check(version, checks=[
        ("probes", persona.system_prompt(), [probes[i].prompt for i in probe_ids], max_tokens)])


def evaluation_create(*, user, version: ModelVersion, personality_version: PersonalityVersion,
                      probe_ids: list[int], max_tokens: int, enqueue: bool = True) -> PersonalityEvaluation:
    """A queued evaluation of a version the caller checked `user` may run work on, owned by
    `user` (who asked for it: an application's owner, or whoever asks for a promotion, not
    necessarily the version's creator); its task runs on commit unless an application runs it
    itself (`enqueue=False`)."""
    evaluation = PersonalityEvaluation.objects.create(
        owner=user, model_version=version, personality_version=personality_version,
        probe_ids=probe_ids, max_tokens=max_tokens,
    )
    if enqueue:
        from .tasks import personality_evaluation_execute_task

        transaction.on_commit(lambda: personality_evaluation_execute_task.delay(evaluation.pk))
    return evaluation


def _on_probes(*, version: ModelVersion, personality_version: PersonalityVersion, probe_ids: Sequence[int],
               max_tokens: int):
    """Evaluations of this pair that asked exactly these probes (in any order) for this many
    answer tokens: only those measure the same thing."""
    ids = list(probe_ids)
    return PersonalityEvaluation.objects.filter(
        model_version=version, personality_version=personality_version, max_tokens=max_tokens,
        probe_ids__contains=ids, probe_ids__contained_by=ids)


def evaluation_ready_on(*, version: ModelVersion, personality_version: PersonalityVersion,
                        probe_ids: Sequence[int], max_tokens: int) -> PersonalityEvaluation | None:
    """The newest ready evaluation of this pair on these probes (what the gate reuses)."""
    return (_on_probes(version=version, personality_version=personality_version, probe_ids=probe_ids,
                       max_tokens=max_tokens)
            .filter(status=Status.READY).order_by("-created_at", "-id").first())


def evaluation_live_on(*, version: ModelVersion, personality_version: PersonalityVersion,
                       probe_ids: Sequence[int], max_tokens: int) -> PersonalityEvaluation | None:
    """The newest queued or running evaluation of this pair on these probes that is still
    alive, so it never blocks a promotion when dead: a running one whose heartbeat is older
    than the lease timeout (a killed task), or one never taken up for QUEUED_TIMEOUT (a lost
    broker message; a busy `train` queue keeps a live one waiting far longer than a lease,
    and replacing it then would only queue another behind it). Dead ones are marked failed."""
    unfinished = _on_probes(version=version, personality_version=personality_version, probe_ids=probe_ids,
                            max_tokens=max_tokens).filter(status__in=[Status.QUEUED, Status.RUNNING])
    now = timezone.now()
    dead = (Q(heartbeat_at__lt=leases.lease_expired_before())
            | Q(heartbeat_at__isnull=True, created_at__lt=now - QUEUED_TIMEOUT))
    unfinished.filter(dead).update(
        status=Status.FAILED, finished_at=now, updated_at=now,
        error="no worker took it up or reported on it in time; a new evaluation replaces it")
    return unfinished.order_by("-created_at", "-id").first()


# -- run (a worker) -------------------------------------------------------------------------------
def _publish(evaluation: PersonalityEvaluation) -> None:
    notify_user(user_id=evaluation.owner_id, event={
        "type": "personality_evaluation.progress", "id": evaluation.pk, "status": evaluation.status,
        "progress": evaluation.progress, "model_version": evaluation.model_version_id,
        "personality_version": evaluation.personality_version_id,
    })


def _update(evaluation: PersonalityEvaluation, **fields) -> None:
    runs.leased_update(evaluation, publish=_publish, **fields)


def personality_evaluation_execute(*, evaluation_id: int, execution_id: str) -> PersonalityEvaluation | None:
    """Runs a queued evaluation of a version's own file (the gate's). Idempotent: a finished
    evaluation, or one another live execution holds, is left alone."""
    from ml.sou import read_sou

    evaluation = (PersonalityEvaluation.objects.select_related("model_version__registered_model",
                                                               "personality_version__personality")
                  .filter(pk=evaluation_id).first())
    if evaluation is None or not leases.lease_take(
            PersonalityEvaluation, evaluation_id, execution_id, statuses=[Status.QUEUED, Status.RUNNING]):
        return evaluation
    evaluation.lease_owner = execution_id
    path = canonical_path(evaluation.model_version)
    try:
        try:
            with read_sou(path) as sou:
                served = served_condition(sou.personality, bool(sou.steering_vectors()))
        except Exception as exc:  # the evaluation says why; the worker stays up
            _update(evaluation, status=Status.FAILED, error=error_text(exc), finished_at=timezone.now())
            return evaluation
        with leases.heartbeat(PersonalityEvaluation, evaluation.pk, execution_id, every_s=runs.HEARTBEAT_EVERY_S):
            return evaluation_run(evaluation, model_path=path, served=served)
    except runs.LeaseLost:  # a redelivery took it over; that execution finishes it
        return evaluation


def evaluation_run(evaluation: PersonalityEvaluation, *, model_path: Path, served: str,
                   lora_path: Path | None = None) -> PersonalityEvaluation:
    """The harness on `model_path` (and a merged LoRA at `lora_path`), stored on the row: the
    report, its JSON and chart files. Failures are stored as the evaluation's error; the
    caller holds its lease (`evaluation.lease_owner`)."""
    from ml.personality.evaluate import EvalConfig, evaluate, save_report
    from ml.personality.steering import SteeringConfig

    _update(evaluation, status=Status.RUNNING, progress=0.1)
    try:
        persona = personality_version_load(evaluation.personality_version)
        probes = [probe_set()[i] for i in evaluation.probe_ids]
        # A file's own vectors are used at its own strength; for one without, the cheap
        # prompt contrast computes the `steering` condition's.
        config = EvalConfig(max_tokens=evaluation.max_tokens, repetition_penalty=REPETITION_PENALTY,
                            steering=SteeringConfig(contrast="prompt"))
        result = evaluate(model_path, persona, lora_path=lora_path, probes=probes, config=config)
        # The report names the model as its owner knows it, never by its server path.
        result["model"] = str(evaluation.model_version)
        result["lora"] = str(evaluation.model_version) if lora_path is not None else None
        directory = storage.evaluation_dir(evaluation.owner_id, evaluation.pk)
        # Under the evaluation's lock, charged to its account: a delete gives back what was written.
        with storage_written(evaluation, directory) as alive:
            if alive:
                storage.folder_write(directory, lambda folder: save_report(result, folder))
        report = report_of(result, served=served, evaluation=evaluation)
    except runs.LeaseLost:
        raise
    except Exception as exc:  # the evaluation says why; the worker stays up
        logger.exception("personality evaluation %s failed", evaluation.pk)
        _update(evaluation, status=Status.FAILED, error=error_text(exc), finished_at=timezone.now())
        return evaluation
    _update(evaluation, status=Status.READY, progress=1.0, report=report, has_chart=True,
            error="", finished_at=timezone.now())
    return evaluation


def _delta(values: dict, reference: dict, key: str) -> float:
    def value(v: dict) -> float:
        return v[key] if key in v else v["metrics"][key]

    return round(value(values) - value(reference), 4)  # NaN where either is; _finite clears it


def _finite(value):
    """`value` with every NaN or infinity as None: JSON (and PostgreSQL's jsonb) has neither,
    and a perplexity is NaN when every answer of a condition was empty."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def report_of(result: dict, *, served: str, evaluation: PersonalityEvaluation) -> dict:
    """What the API serves of a harness result: the table, deltas against `none`, the served
    condition's headline numbers and the answers side by side."""
    from ml.personality.evaluate import format_table

    conditions = result["conditions"]
    none = conditions["none"]
    deltas = {
        name: {"alignment": _delta(values, none, "alignment"),
               "vader_compound": _delta(values, none, "vader_compound"),
               "perplexity_ratio": values["perplexity_ratio"]}
        for name, values in conditions.items() if name != "none"
    }
    served = served if served in conditions else "none"
    headline = conditions[served]
    version = evaluation.personality_version
    return _finite({
        "model": result["model"],
        "personality": {"id": version.personality_id, "name": version.personality.name,
                        "version_id": version.pk, "version_number": version.number},
        "probes": result["probes"],
        "probe_ids": list(evaluation.probe_ids),
        "max_tokens": result["max_tokens"],
        "steering": result["steering"],
        "served": served,
        "alignment": headline["alignment"],
        "vader_compound": headline["metrics"]["vader_compound"],
        "alignment_gain": deltas.get(served, {}).get("alignment", 0.0),
        "vader_gain": deltas.get(served, {}).get("vader_compound", 0.0),
        "perplexity_ratio": headline["perplexity_ratio"],
        "conditions": conditions,
        "deltas": deltas,
        "table": format_table(result),
        "answers": result["answers"],
    })


# -- a quick measure of a file as served (the registry's export row) ------------------------------
def served_measure(model_path: Path, persona, *, probe_ids: Sequence[int], max_tokens: int) -> dict:
    """Alignment and VADER compound of a `.sou` file's greedy answers to the probes as a chat
    would get them (its system prompt or steering, when it carries one)."""
    from ml.infer.engine import Engine
    from ml.personality.evaluate import generate_answers, summarize
    from ml.personality.steering import chat

    engine = Engine.load(model_path, max_batch=8)
    section = engine.personality or {}
    served = served_condition(section, engine.steering is not None)
    system = section.get("system_prompt") if served == "system_prompt" else None
    strength = engine.default_steering_strength if served == "steering" else 0.0
    prompts = [chat(system, probe_set()[i].prompt) for i in probe_ids]
    answers = generate_answers(engine, prompts, max_tokens=max_tokens,
                               repetition_penalty=REPETITION_PENALTY, strength=strength)
    summary = summarize(persona, answers)
    return {"alignment": summary["alignment"], "vader_compound": summary["metrics"]["vader_compound"]}
