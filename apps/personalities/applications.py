"""Applying a personality version to a model version the user owns: the result is a new
version of the same registered model (lineage: the base version and the personality
version), then evaluated on the probes the user chose (evaluations.py). Methods:

- `steering`: `ml.personality.steering.steer_file` writes the base file with the
  personality's steering vectors (contrastive activation addition) and default strengths;
- `lora`: `ml.personality.distill.persona_lora` distils the personality's system prompt into
  a LoRA (context distillation) and merges it; the in-persona answers are the model's own, or
  a `teacher`'s, a model of one of the user's remote endpoints (apps.endpoints);
- `prompt`: the base file's tensors unchanged, carrying the personality's system prompt
  (`personality` section, method `evaluations.PROMPT_METHOD`) and its sampling defaults
  (the `generation` section the engine reads).

Everything a request can get wrong is refused before anything is queued: another user's
model version or personality (404), an option not on the method's allow-list, a steering
request for an architecture the engine cannot steer, and a model whose context cannot hold
the probes or the method's own prompts (400). The work runs as
`personality_application_execute_task` on the `train` queue, leased like a training run so a
redelivered task resumes where the dead one stopped (a registered result is never made twice);
progress goes to the owner's notifications socket as `personality_application.progress`."""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core import leases
from apps.core.access import Action, access_get
from apps.core.notifications import notify_user
from apps.core.user_paths import error_text

from . import evaluations, runs, storage
from .loader import personality_version_load
from .models import PersonalityApplication, PersonalityEvaluation, PersonalityVersion
from .selectors import personality_get, personality_version_get

logger = logging.getLogger(__name__)
Method = PersonalityApplication.Method
Status = runs.Status

# The harness's options every method takes.
EVALUATION_OPTIONS = {"probes", "probe_ids", "max_tokens"}
# What a user may set per method; anything else is refused by name.
OPTIONS = {
    Method.STEERING: EVALUATION_OPTIONS | {"strength", "prompt_scale", "layers", "contrast", "samples"},
    Method.LORA: EVALUATION_OPTIONS | {"steps", "rank", "lr", "answer_tokens", "teacher"},
    Method.PROMPT: EVALUATION_OPTIONS,
}
CONTRASTS = ("scored", "answer", "prompt")
LORA_DEFAULTS = {"steps": 200, "rank": 8, "lr": 1e-3, "answer_tokens": 96}  # ml's DistillConfig
LORA_MAX_STEPS = 2000
LORA_MAX_BLOCK = 256  # ml's training window for a prompt and one answer
METHOD_WORDS = {Method.STEERING: "steering", Method.LORA: "persona LoRA", Method.PROMPT: "system prompt"}
# Which condition of the evaluation a chat with the result gets.
SERVED = {Method.STEERING: "steering", Method.LORA: "lora", Method.PROMPT: "system_prompt"}


# -- options ---------------------------------------------------------------------------------------
def _number(options: dict, name: str, kind: type, low: float, high: float, *, low_open: bool = False):
    value = options[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)):
        raise ValidationError({f"options.{name}": [f"expected {'an integer' if kind is int else 'a number'}"]})
    value = kind(value)
    if value > high or value < low or (low_open and value == low):
        bound = f"above {low}" if low_open else f"at least {low}"
        raise ValidationError({f"options.{name}": [f"must be {bound} and at most {high}"]})
    return value


def options_clean(method: str, options: dict) -> dict:
    """The method's options checked against its allow-list, evaluation options resolved to
    `probe_ids` and `max_tokens`."""
    if not isinstance(options, dict):
        raise ValidationError({"options": ["expected an object"]})
    unknown = sorted(set(options) - OPTIONS[method])
    if unknown:
        allowed = ", ".join(sorted(OPTIONS[method]))
        raise ValidationError({f"options.{unknown[0]}": [f"not an option of {method}; it takes {allowed}"]})
    probe_ids = options.get("probe_ids")
    if probe_ids is not None and (not isinstance(probe_ids, list)
                                  or not all(isinstance(i, int) and not isinstance(i, bool) for i in probe_ids)):
        raise ValidationError({"options.probe_ids": ["expected a list of probe ids (integers)"]})
    clean = {
        "probe_ids": evaluations.probe_ids_choose(
            probes=_number(options, "probes", int, 1, len(evaluations.probe_set())) if "probes" in options else None,
            probe_ids=probe_ids),
        "max_tokens": evaluations.max_tokens_check(
            _number(options, "max_tokens", int, 1, evaluations.MAX_TOKENS_LIMIT) if "max_tokens" in options else None),
    }
    if method == Method.STEERING:
        clean.update(_steering_options(options))
    elif method == Method.LORA:
        clean.update(_lora_options(options))
    return clean


def _steering_options(options: dict) -> dict:
    clean = {}
    if "strength" in options:
        clean["strength"] = _number(options, "strength", float, 0.0, 1.0, low_open=True)
    if "prompt_scale" in options:
        clean["prompt_scale"] = _number(options, "prompt_scale", float, 0.0, 20.0)
    if "samples" in options:
        clean["samples"] = _number(options, "samples", int, 2, 8)
    if "contrast" in options:
        if options["contrast"] not in CONTRASTS:
            raise ValidationError({"options.contrast": [f"one of {', '.join(CONTRASTS)}"]})
        clean["contrast"] = options["contrast"]
    if "layers" in options:
        layers = options["layers"]
        if (not isinstance(layers, list) or not layers or len(layers) > 16
                or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in layers)):
            raise ValidationError({"options.layers": ["expected 1 to 16 block numbers (integers from 0)"]})
        clean["layers"] = sorted(set(layers))
    return clean


def _lora_options(options: dict) -> dict:
    given = {
        "steps": ("steps", int, 1, LORA_MAX_STEPS, False), "rank": ("rank", int, 1, 64, False),
        "lr": ("lr", float, 0.0, 0.1, True), "answer_tokens": ("answer_tokens", int, 8, 256, False),
    }
    clean = dict(LORA_DEFAULTS)
    for key, (name, kind, low, high, low_open) in given.items():
        if name in options:
            clean[key] = _number(options, name, kind, low, high, low_open=low_open)
    return clean


# -- checks before queueing ------------------------------------------------------------------------
def steerable_architectures() -> dict[str, type]:
    """The model families whose decoder blocks the steering engine hooks."""
    from ml.models import GPT2, Llama

    return {name: cls for name, cls in (("gpt2", GPT2), ("llama", Llama)) if hasattr(cls, "blocks")}


def steerable_check(version, layers: list[int] | None) -> None:
    """Refuses (400 on `method`) a model the engine cannot steer, or layers it does not have."""
    from ml.sou import SouFormatError, read_sou

    try:
        with read_sou(evaluations.canonical_path(version)) as sou:
            config = dict(sou.config)
    except (OSError, SouFormatError) as exc:
        raise ValidationError({"model_version_id": [f"the model file of {version} cannot be read"]}) from exc
    families = steerable_architectures()
    arch = config.get("arch")
    if arch not in families:
        raise ValidationError({"method": [
            f"{version} is a {arch!r} model; the steering engine can steer only {', '.join(sorted(families))} "
            "models (choose lora or prompt)"]})
    n_layer = int(config.get("n_layer") or 0)
    outside = [layer for layer in layers or [] if layer >= n_layer]
    if outside:
        raise ValidationError({"options.layers": [
            f"{version} has {n_layer} blocks (0 to {n_layer - 1}); {outside} are outside them"]})


def _personality_version(*, user, personality_id: int | None, personality_version_id: int | None) -> PersonalityVersion:
    if (personality_id is None) == (personality_version_id is None):
        raise ValidationError({"personality_version_id": ["give personality_id or personality_version_id"]})
    if personality_version_id is not None:
        return personality_version_get(user=user, version_id=personality_version_id)
    personality = personality_get(user=user, personality_id=personality_id)
    if personality.current_version is None:
        raise ValidationError({"personality_id": ["this personality has no version yet"]})
    return personality_version_get(user=user, version_id=personality.current_version_id)


def _fit_checks(method: str, persona, options: dict) -> list[tuple]:
    from ml.personality.steering import DEFAULT_CONTRAST_PROMPTS, SteeringConfig

    probes = evaluations.probe_set()
    checks = [("probes", persona.system_prompt(), [probes[i].prompt for i in options["probe_ids"]],
               options["max_tokens"])]
    if method == Method.STEERING:
        checks.append(("steering's contrast prompts", persona.system_prompt(), DEFAULT_CONTRAST_PROMPTS,
                       SteeringConfig().answer_tokens))
    elif method == Method.LORA:
        checks.append(("distillation prompts", persona.system_prompt(), DEFAULT_CONTRAST_PROMPTS,
                       options["answer_tokens"]))
    return checks


@transaction.atomic
def personality_application_create(*, user, model_version_id: int, method: str, personality_id: int | None = None,
                                   personality_version_id: int | None = None,
                                   options: dict | None = None) -> PersonalityApplication:
    """Checks everything a worker would trip on, then queues the application on commit. The
    model version needs run access (its result is a new version of the same model); the
    personality, read access."""
    from apps.registry.models import ModelVersion

    version = access_get(ModelVersion.objects.select_related("registered_model"), user=user, pk=model_version_id,
                         action=Action.RUN)
    personality_version = _personality_version(user=user, personality_id=personality_id,
                                               personality_version_id=personality_version_id)
    if method not in Method.values:
        raise ValidationError({"method": [f"one of {', '.join(Method.values)}"]})
    if version.status != ModelVersion.Status.READY:
        raise ValidationError({"model_version_id": [f"{version} is {version.status}, not ready"]})
    clean = options_clean(method, options or {})
    if method == Method.STEERING:
        steerable_check(version, clean.get("layers"))
    persona = personality_version_load(personality_version)
    context = evaluations.prompts_fit_check(version, checks=_fit_checks(method, persona, clean))
    if method == Method.LORA:
        clean["block_size"] = min(LORA_MAX_BLOCK, context)
        if options and options.get("teacher") is not None:
            clean["teacher"] = _teacher(user, options["teacher"])
    application = PersonalityApplication.objects.create(
        owner=user, model_version=version, personality_version=personality_version, method=method, options=clean,
    )
    from .tasks import personality_application_execute_task

    transaction.on_commit(lambda: personality_application_execute_task.delay(application.pk))
    return application


def _teacher(user, teacher) -> dict:
    """A lora application's `teacher`: {"endpoint_id", "model"}, a model of one of the
    user's own remote endpoints that writes the in-persona answers instead of the model."""
    from apps.endpoints.selectors import remote_model_get

    if (not isinstance(teacher, dict) or set(teacher) != {"endpoint_id", "model"}
            or not isinstance(teacher["endpoint_id"], int) or isinstance(teacher["endpoint_id"], bool)
            or not isinstance(teacher["model"], str)):
        raise ValidationError({"options.teacher": ['expected {"endpoint_id": id, "model": name} of your endpoints']})
    chosen = remote_model_get(user=user, endpoint_id=teacher["endpoint_id"], model=teacher["model"],
                              field="options.teacher")
    return {"endpoint_id": chosen.endpoint.pk, "model": chosen.model}


def _teacher_answer(application: PersonalityApplication):
    """The answer function of the application's teacher, or None (the model answers)."""
    from apps.endpoints.generation import remote_teacher
    from apps.endpoints.selectors import endpoint_for_owner

    teacher = application.options.get("teacher")
    if not teacher:
        return None
    endpoint = endpoint_for_owner(owner_id=application.owner_id, endpoint_id=teacher["endpoint_id"])
    return remote_teacher(endpoint, teacher["model"], should_stop=lambda: _lease_lost(application))


def _lease_lost(application: PersonalityApplication) -> bool:
    """Asked between the teacher's prompts: LeaseLost once the application is no longer this
    execution's to run (a redelivery took it over, or it was deleted), so it stops without writing."""
    if not PersonalityApplication.objects.filter(pk=application.pk, lease_owner=application.lease_owner,
                                                 status=Status.RUNNING).exists():
        raise runs.LeaseLost(f"application {application.pk} is no longer held by this execution")
    return False


# -- execution (a worker) --------------------------------------------------------------------------
def _publish(application: PersonalityApplication) -> None:
    notify_user(user_id=application.owner_id, event={
        "type": "personality_application.progress", "id": application.pk, "status": application.status,
        "stage": application.stage, "progress": application.progress, "error": application.error,
        "result_version": application.result_version_id, "evaluation": application.evaluation_id,
    })


def _update(application: PersonalityApplication, **fields) -> None:
    runs.leased_update(application, publish=_publish, **fields)


class _Retitled:
    """An open SouFile seen with other metadata, for `write_steered`, which copies a file's
    tensors byte for byte and its metadata with the personality section set."""

    def __init__(self, source, metadata: dict):
        self._source, self.metadata, self.provenance = source, metadata, source.provenance

    def __getattr__(self, name):
        return getattr(self._source, name)


def _apply_prompt(base: Path, persona, out: Path) -> dict:
    from ml.personality.steering import write_steered
    from ml.sou import read_sou
    from ml.sou.constants import SECTION_GENERATION

    defaults = dict(persona.generation_defaults())
    if "max_new_tokens" in defaults:
        defaults["max_tokens"] = defaults.pop("max_new_tokens")
    section = {"name": persona.name, "config": persona.to_dict(), "system_prompt": persona.system_prompt(),
               "method": evaluations.PROMPT_METHOD, "generation_defaults": defaults}
    with read_sou(base) as source:
        metadata = dict(source.metadata)
        metadata[SECTION_GENERATION] = {**metadata.get(SECTION_GENERATION, {}), **defaults}
        write_steered(_Retitled(source, metadata), out, {}, section)
    return {"system_prompt": persona.system_prompt(), "generation_defaults": defaults}


def _apply(application: PersonalityApplication, persona, base: Path, out: Path, work: Path) -> dict:
    """Writes the result file at `out`; returns ml's summary of it."""
    options = application.options
    if application.method == Method.STEERING:
        from ml.personality.steering import SteeringConfig, steer_file

        chosen = {k: options[k] for k in ("strength", "prompt_scale", "layers", "contrast", "samples") if k in options}
        summary = steer_file(base, persona, out, SteeringConfig(**chosen))
        summary.pop("out", None)  # a server path
        return summary
    if application.method == Method.LORA:
        from ml.personality.distill import DistillConfig, persona_lora
        from ml.personality.steering import DEFAULT_CONTRAST_PROMPTS

        config = DistillConfig(steps=options["steps"], r=options["rank"], alpha=2 * options["rank"],
                               lr=options["lr"], max_tokens=options["answer_tokens"],
                               block_size=options["block_size"])
        summary = persona_lora(base, persona, DEFAULT_CONTRAST_PROMPTS, out, config=config, workdir=work / "lora",
                               answer=_teacher_answer(application))
        summary.pop("out", None)
        if options.get("teacher"):
            summary["teacher"] = options["teacher"]["model"]
        return summary
    return _apply_prompt(base, persona, out)


def _register(application: PersonalityApplication, out: Path, summary: dict) -> None:
    """The result as a new version of the base's registered model, and its evaluation row,
    in one transaction with the application's pointers to them. The application's row is
    locked and re-read first: an execution that lost its lease registers nothing, and one
    that finds a result already registered (by an earlier delivery of the same task) takes it
    instead of registering a second."""
    from apps.registry.services import model_version_create_with_personality

    base, personality_version = application.model_version, application.personality_version
    with transaction.atomic():
        held = (PersonalityApplication.objects.select_for_update()
                .filter(pk=application.pk, lease_owner=application.lease_owner)
                .values("result_version_id", "evaluation_id").first())
        if held is None:
            raise runs.LeaseLost(f"application {application.pk} is held by another execution")
        if held["result_version_id"] is not None:
            application.result_version_id, application.evaluation_id = held["result_version_id"], held["evaluation_id"]
            return
        result = model_version_create_with_personality(
            user=application.owner, base_version=base, personality_version=personality_version, sou_path=out,
            description=f"{personality_version} applied to {base.version} by {METHOD_WORDS[application.method]}",
        )
        evaluation = evaluations.evaluation_create(
            user=application.owner, version=result, personality_version=personality_version,
            probe_ids=application.options["probe_ids"], max_tokens=application.options["max_tokens"], enqueue=False,
        )
        _update(application, result_version=result, evaluation=evaluation, summary=summary,
                stage="evaluating", progress=0.6)


def _result_placed(application: PersonalityApplication, out: Path) -> None:
    """The registered result's file in its version's folder: it moves there once the
    registration commits, so an execution that died in between left it at `out`."""
    from apps.registry.services import model_version_personality_file_place

    result = application.result_version
    if result.status == result.Status.IMPORTING:
        model_version_personality_file_place(version=result, sou_path=out)


def personality_application_execute(*, application_id: int, execution_id: str) -> PersonalityApplication | None:
    """Applies, registers and evaluates. Idempotent: a finished application, or one another
    live execution holds, is left alone; one whose result is registered resumes at its
    evaluation."""
    application = (PersonalityApplication.objects
                   .select_related("model_version__registered_model", "personality_version__personality",
                                   "evaluation")
                   .filter(pk=application_id).first())
    if application is None or not leases.lease_take(
            PersonalityApplication, application_id, execution_id, statuses=[Status.QUEUED, Status.RUNNING]):
        return application
    application.lease_owner = execution_id
    work = storage.application_dir(application.owner_id, application.pk)
    with leases.heartbeat(PersonalityApplication, application.pk, execution_id, every_s=runs.HEARTBEAT_EVERY_S):
        try:
            _update(application, status=Status.RUNNING, attempts=application.attempts + 1, error="")
            persona = personality_version_load(application.personality_version)
            out = work / "model.sou"
            if application.result_version_id is None:
                _update(application, stage="applying", progress=0.05)
                work.mkdir(parents=True, exist_ok=True)
                summary = _apply(application, persona, evaluations.canonical_path(application.model_version),
                                 out, work)
                _update(application, stage="registering", progress=0.55)
                _register(application, out, summary)
            _result_placed(application, out)
            _evaluate(application, execution_id)
        except runs.LeaseLost:  # a redelivery took it over; its folder and rows are that execution's now
            return application
        except Exception as exc:  # the application says why; the worker stays up for the next task
            logger.exception("personality application %s failed", application.pk)
            _fail(application, error_text(exc))
        storage.remove_tree(work)
    return application


def _fail(application: PersonalityApplication, error: str) -> None:
    """The application fails, and so does its evaluation if it never finished: nothing will
    run it now, and a queued row would look alive."""
    _update(application, status=Status.FAILED, error=error, finished_at=timezone.now())
    if application.evaluation_id is not None:
        PersonalityEvaluation.objects.filter(
            pk=application.evaluation_id, status__in=[Status.QUEUED, Status.RUNNING],
        ).update(status=Status.FAILED, error=f"its application failed: {error}", finished_at=timezone.now(),
                 updated_at=timezone.now())


def _evaluate(application: PersonalityApplication, execution_id: str) -> None:
    """Runs the result's evaluation under this execution's lease on it too, so the row shows
    a live heartbeat while the harness works."""
    evaluation = application.evaluation
    if evaluation.status != Status.READY:
        if not leases.lease_take(PersonalityEvaluation, evaluation.pk, execution_id,
                                 statuses=[Status.QUEUED, Status.RUNNING]):
            evaluation.refresh_from_db()
            if evaluation.status not in (Status.READY, Status.FAILED):
                raise runs.LeaseLost(f"evaluation {evaluation.pk} is held by another execution")
        else:
            evaluation.lease_owner = execution_id
            result_path = evaluations.canonical_path(application.result_version)
            if application.method == Method.LORA:  # the base beside the merged model, as the CLI does
                model_path, lora_path = evaluations.canonical_path(application.model_version), result_path
            else:
                model_path, lora_path = result_path, None
            with leases.heartbeat(PersonalityEvaluation, evaluation.pk, execution_id, every_s=runs.HEARTBEAT_EVERY_S):
                evaluations.evaluation_run(evaluation, model_path=model_path, lora_path=lora_path,
                                           served=SERVED[application.method])
    if evaluation.status != Status.READY:
        _update(application, status=Status.FAILED, error=f"the evaluation failed: {evaluation.error}",
                finished_at=timezone.now())
        return
    _update(application, status=Status.READY, stage="", progress=1.0, finished_at=timezone.now())
