"""Fine-tuning a model version the user may read: what each method turns on in the engine, the
checks a run from a base passes before it is queued (the base is readable and ready, LoRA
targets are layers of its architecture, the dataset's records fit the method), and the base's
file pinned in the run's folder at execution, so a resumed run keeps its base even if the
version is deleted meanwhile."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from django.core.exceptions import ValidationError

from apps.core import storage as core_storage
from apps.core.access import access_get, access_queryset
from apps.core.errors import Conflict
from apps.datasets.models import DatasetVersion
from apps.datasets.services import dataset_version_misfits
from apps.quotas.accounts import account_of
from apps.quotas.storage import storage_charge
from apps.quotas.stored import disk_bytes
from apps.registry import storage as registry_storage
from apps.registry.models import ModelVersion

from .models import TrainingRun

Method = TrainingRun.Method
# A fine-tune trains with its base's tokenizer and chat template (the engine's data.tokenizer).
BASE_TOKENIZER = "base"
# The packed block types LoRA over a quantized base keeps its frozen weights in.
PACKED_BASE_TYPES = ("Q8_0", "Q4_0", "Q4_1")
# Options that shape a new model or its tokenizer; a fine-tune keeps its base's.
BASE_FIXED = {"model": ("preset", "n_layer", "n_head", "n_embd"), "data": ("tokenizer", "bpe_vocab_size")}
# Which records each method learns from (the data engine's method names).
OBJECTIVE = {Method.FULL: "sft", Method.LORA: "sft", Method.QLORA: "sft", Method.DPO: "dpo"}
# How many bad lines an error names: enough to see the pattern, short enough to read.
MISFITS_SHOWN = 5
# The name the pinned base has in the run's folder (and in the owner's view of its log).
PINNED_BASE = "base.sou"


def method_for(*, method: str | None, has_base: bool) -> str:
    """The run's method: as asked, else a full fine-tune of a base or a new model."""
    method = method or (Method.FULL if has_base else Method.SCRATCH)
    if has_base and method == Method.SCRATCH:
        raise ValidationError({"method": [
            "a run from scratch starts from no model; choose full, lora, qlora or dpo to fine-tune the base"
        ]})
    if not has_base and method != Method.SCRATCH:
        raise ValidationError({"base_model_version_id": [
            f"a {method} run fine-tunes a model: name one of your ready model versions"
        ]})
    return method


def base_version_get(*, user, base_model_version_id: int) -> ModelVersion:
    """A model version the user may read (their own, or one shared with their team) to
    fine-tune (404 for any other), ready (else 409)."""
    version = access_get(ModelVersion.objects.select_related("registered_model"), user=user,
                         pk=base_model_version_id)
    if version.status != ModelVersion.Status.READY:
        raise Conflict(f"Model version {version} is {version.status}; it can be fine-tuned once it is ready.")
    return version


def method_config(config: dict, *, method: str) -> dict:
    """The client's options with what the method turns on in the engine: the base's
    tokenizer, LoRA adapters (lora, qlora, and dpo given a lora section), a packed base
    (qlora: Q8_0 unless told), the DPO objective. Options the method does not use are
    refused by name rather than ignored."""
    for section, names in BASE_FIXED.items():
        for name in names:
            if name in config.get(section, {}):
                raise ValidationError({f"config.{section}.{name}": [
                    "a fine-tune keeps its base model's shape and tokenizer; leave this out"
                ]})
    lora, dpo = dict(config.get("lora", {})), dict(config.get("dpo", {}))
    if dpo and method != Method.DPO:
        raise ValidationError({"config.dpo": ["only a dpo run takes the dpo section"]})
    if lora and method == Method.FULL:
        raise ValidationError({"config.lora": [
            "a full fine-tune trains every weight; choose method lora or qlora to train adapters"
        ]})
    base_type = lora.get("base_type", "Q8_0" if method == Method.QLORA else "")
    if method == Method.QLORA and base_type not in PACKED_BASE_TYPES:
        raise ValidationError({"config.lora.base_type": [
            f"LoRA over a quantized base keeps it in {', '.join(PACKED_BASE_TYPES)}"
        ]})
    if method == Method.LORA and base_type:
        raise ValidationError({"config.lora.base_type": [
            "a packed base is method qlora; method lora keeps the base in full precision"
        ]})
    adapters = method in (Method.LORA, Method.QLORA) or (method == Method.DPO and bool(lora))
    sections = {**config, "data": {**config.get("data", {}), "tokenizer": BASE_TOKENIZER}}
    sections["lora"] = {**lora, "enabled": adapters, **({"base_type": base_type} if adapters else {})}
    sections["dpo"] = {**dpo, "enabled": method == Method.DPO}
    return sections


def server_set(method: str) -> dict[tuple[str, str], tuple]:
    """The options the server sets for a method (never a client), with the values a stored
    run of that method may hold."""
    if method == Method.SCRATCH:
        return {}
    adapters = {Method.FULL: (False,), Method.DPO: (False, True)}.get(method, (True,))
    return {("data", "tokenizer"): (BASE_TOKENIZER,), ("lora", "enabled"): adapters,
            ("dpo", "enabled"): (method == Method.DPO,)}


def lora_targets_check(targets: list[str], *, base: ModelVersion) -> None:
    """Every LoRA target is a linear layer of the base's architecture (400 listing those it
    has, in the engine's words), and an architecture without default targets is told to name
    some."""
    from ml.train.lora import DEFAULT_TARGETS, check_targets

    arch = str((base.architecture or {}).get("arch", ""))
    if not targets:
        if arch not in DEFAULT_TARGETS:
            raise ValidationError({"config.lora.target_modules": [
                f"this {arch or 'unknown'} model has no default LoRA targets; name its linear layers"
            ]})
        return
    try:
        check_targets(targets, arch)
    except ValueError as error:  # an unknown layer, or an architecture the engine cannot build
        raise ValidationError({"config.lora.target_modules": [str(error)]}) from None


def default_targets(architecture: dict) -> list[str]:
    """The layers LoRA adapts in this architecture when the run names none."""
    from ml.train.lora import DEFAULT_TARGETS

    return list(DEFAULT_TARGETS.get(str((architecture or {}).get("arch", "")), []))


def dataset_fit_check(version: DatasetVersion, *, method: str, field: str = "dataset_version_id") -> None:
    """The dataset's records fit the method: instruction pairs or chats for SFT, preference
    pairs for DPO (400 naming the first lines that do not)."""
    misfits = dataset_version_misfits(version=version, method=OBJECTIVE[method])
    if misfits:
        lines = "; ".join(f"{m['file']} line {m['line']}: {m['message']}" for m in misfits[:MISFITS_SHOWN])
        raise ValidationError({field: [f"records do not fit a {method} run: {lines}"]})


def base_file_pin(training_run: TrainingRun, out_dir: Path) -> str:
    """The engine's model.base: the base version's canonical `.sou`, linked into the run's
    folder once (a hard link costs no disk; a copy where the folders lie on different file
    systems), so a resumed run keeps its base even if the version is deleted meanwhile."""
    pinned = out_dir / PINNED_BASE
    if pinned.is_file():
        return str(pinned)
    version = training_run.base_model_version
    # The access check repeats the one at creation: the run's owner must still read the base.
    readable = version is not None and access_queryset(ModelVersion, user=training_run.owner).filter(
        pk=version.pk).exists()
    if not readable or version.status != ModelVersion.Status.READY:
        raise ValueError("the model version this run fine-tunes was deleted before the run started")
    source = registry_storage.canonical_fetched(version)
    staging = out_dir / f".{PINNED_BASE}.{uuid.uuid4().hex}"
    try:
        os.link(source, staging)
    except OSError:
        shutil.copyfile(source, staging)
    staging.replace(pinned)
    # The run's own copy as far as quotas go: it counts against the run's account (and its
    # delete gives it back), whatever the base's account does with its file. On S3 it is
    # counted with the rest of the run's folder once stored (training services).
    if core_storage.is_local():
        storage_charge(account_of(training_run), disk_bytes(pinned), force=True)
    return str(pinned)
