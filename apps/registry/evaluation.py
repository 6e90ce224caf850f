"""Evaluating a model version on a dataset version, as a tracked run: perplexity of the
text, or BLEU/chrF/ROUGE of generated answers against the dataset's reference responses."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.access import Action, access_get, access_queryset
from apps.core.user_paths import error_text
from apps.datasets.models import DatasetVersion
from apps.datasets.services import dataset_version_files
from apps.experiments.models import Run
from apps.experiments.services import (
    experiment_named,
    run_create,
    run_metrics_record,
    run_status_record,
)

from . import storage
from .models import ModelVersion

logger = logging.getLogger(__name__)
EVALUATION_EXPERIMENT = "evaluations"
KINDS = ("perplexity", "generation")


@transaction.atomic
def model_evaluation_create(
    *, user, version_id: int, dataset_version_id: int, kind: str, max_records: int = 50, max_tokens: int = 64
) -> Run:
    """An evaluation of a version the user may run work on, on a dataset version they can
    read, tracked in their own private "evaluations" experiment."""
    version = access_get(ModelVersion.objects.select_related("registered_model"), user=user, pk=version_id,
                         action=Action.RUN)
    dataset_version = access_get(DatasetVersion, user=user, pk=dataset_version_id)
    if version.status != ModelVersion.Status.READY:
        raise ValidationError({"version": [f"the version is {version.status}, not ready"]})
    if dataset_version.status != DatasetVersion.Status.VALID:
        raise ValidationError({"dataset_version_id": [f"dataset version is {dataset_version.status}, not valid"]})
    if kind not in KINDS:
        raise ValidationError({"kind": [f"one of {', '.join(KINDS)}"]})
    experiment = experiment_named(user=user, name=EVALUATION_EXPERIMENT,
                                  description="Evaluations of registered model versions.")
    params = {
        "model": str(version), "model_version": version.pk, "dataset_version": dataset_version.pk,
        "kind": kind, "max_records": max_records, "max_tokens": max_tokens,
    }
    run = run_create(
        user=user, experiment_id=experiment.pk, name=f"{kind} of {version} on {dataset_version}",
        params=params, tags={"kind": "evaluation"}, status="queued",
    )
    from .tasks import model_evaluation_task

    transaction.on_commit(lambda: model_evaluation_task.delay(run.pk))
    return run


def model_evaluation_run(*, run_id: int) -> str:
    """Runs the evaluation a run describes and records its scores as the run's metrics.
    Idempotent: a run that is no longer queued is left alone. Access to the version and the
    data is asked again here (a share removed while the run waited fails it as a version that
    does not exist); the run's own status, metrics and notes are written unchecked."""
    run = Run.objects.select_related("owner").get(pk=run_id)
    if run.status != "queued":
        return run.status
    run_status_record(run_id=run.pk, status="running")
    params = run.params
    try:
        version = access_queryset(ModelVersion, user=run.owner, action=Action.RUN).get(pk=params["model_version"])
        dataset_version = access_queryset(DatasetVersion, user=run.owner).get(pk=params["dataset_version"])
        # Both stay in the cache while they are read.
        with dataset_version_files(dataset_version) as data_path, storage.canonical_pinned(version) as sou_path:
            if params["kind"] == "perplexity":
                scores = _perplexity(sou_path, data_path)
            else:
                scores = _generation_scores(sou_path, data_path, dataset_version, params)
        run_metrics_record(
            run_id=run.pk,
            metrics=[{"key": key, "value": float(value), "step": 0} for key, value in scores.items()],
        )
    except Exception as exc:  # the run must say what went wrong, whatever it was
        logger.exception("evaluation run %s failed", run_id)
        return run_status_record(run_id=run.pk, status="failed", notes=error_text(exc)).status
    return run_status_record(run_id=run.pk, status="finished").status


def _perplexity(sou_path: Path, data_path: Path) -> dict[str, float]:
    import torch
    from tokenizers import Tokenizer

    from ml.eval.perplexity import perplexity_of_dataset
    from ml.infer.loader import load_model
    from ml.sou import read_sou

    sou = read_sou(sou_path)
    model = load_model(sou, torch.device("cpu"), torch.float32)
    generation = sou.generation or {}
    result = perplexity_of_dataset(
        model, Tokenizer.from_str(sou.tokenizer_json), str(data_path), model.config.block_size,
        chat_template=sou.chat_template, eos_token_id=(generation.get("eos_token_ids") or [None])[0],
        cache_dir=str(Path(settings.MEDIA_ROOT) / "token-cache"),
    )
    return {"perplexity": result.perplexity, "loss": result.loss, "eval_tokens": result.tokens}


def _generation_scores(sou_path: Path, data_path: Path, dataset_version: DatasetVersion, params: dict) -> dict:
    from ml.data import Columns, iter_records
    from ml.eval.text_metrics import text_scores
    from ml.infer.engine import Engine

    columns = Columns(
        text=dataset_version.text_column, prompt=dataset_version.prompt_column,
        response=dataset_version.response_column,
    )
    # A pair's response, a chat's last assistant turn or a preference's chosen reply is the
    # reference answer to the conversation before it.
    examples = [a for r in iter_records(data_path, columns) if (a := r.answered()) is not None]
    examples = examples[: int(params["max_records"])]
    if not examples:
        raise ValueError(
            "the dataset version has no prompt/response records, chats or preferences to compare against")
    engine = Engine.load(sou_path, device="cpu", max_batch=1)
    predictions = []
    for conversation, _ in examples:
        prompt_input = conversation if engine.chat_template else "\n".join(m["content"] for m in conversation)
        room = engine.context_length - len(engine.encode(prompt_input))
        predictions.append(engine.complete(prompt_input, max_tokens=max(1, min(int(params["max_tokens"]), room)),
                                           temperature=0.0))
    return text_scores(predictions, [answer for _, answer in examples])
