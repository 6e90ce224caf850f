"""Importing models into `.sou` (our training checkpoints with LoRA merged, Hugging Face
directories, GGUF files) and exporting `.sou` back to a Hugging Face directory.

An import records where the model came from (base model, the source's sha256, the tool that
wrote it) and the source's sampling defaults, and it proves the stored tokenizer encodes a
fixed multilingual text exactly as the source's own tokenizer does; otherwise the file is not
written and `ConversionError` names the first differing token.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer
from torch import nn

from ml.sou.api import read_sou, write_sou
from ml.sou.constants import BLOCK_TYPES, SECTION_GENERATION, STEERING_PREFIX
from ml.sou.errors import SouFormatError
from ml.sou.lazy import LazyTensors
from ml.sou.metadata import validate_metadata
from ml.sou.quant import AS_STORED, EXPORT_TYPES, RECIPES, QuantPolicy

# English, German umlauts and ß, Chinese, emoji (one of them a ZWJ sequence), code, digits.
ROUND_TRIP_TEXT = (
    "The quick brown fox jumps over the lazy dog. "
    "Grüße aus Köln: Äpfel, Öl und Übermut kosten 3,50 €. "
    "北京欢迎你，今天天气很好。 "
    "Emoji: 😀🎉👩‍💻 "
    "def add(a, b):\n    return a + b  # sum\n\tprint(f\"{add(1, 2)=}\")\n"
)
# Files of a directory that define the model (its sha256 covers these, not logs or optimizer).
MODEL_FILE_SUFFIXES = (".safetensors", ".json", ".jinja", ".model", ".txt")
TRAINING_ONLY_FILES = ("trainer_state.json",)
# Hugging Face generation_config.json keys -> ours.
HF_GENERATION_KEYS = {"temperature": "temperature", "top_k": "top_k", "top_p": "top_p",
                      "min_p": "min_p", "repetition_penalty": "repetition_penalty",
                      "max_new_tokens": "max_tokens"}


class ConversionError(ValueError):
    """A model that cannot be converted faithfully; the message says what differs and where."""


@dataclass
class ImportReport:
    """What an import wrote."""

    path: Path  # the .sou file
    source_format: str  # "checkpoint", "hf" or "gguf"
    qtype: str  # the requested tensor type
    tensors_by_type: dict[str, int] = field(default_factory=dict)  # tensor count per type
    file_bytes: int = 0
    source_sha256: str = ""
    warnings: list[str] = field(default_factory=list)  # e.g. quantizing quantized weights


@dataclass
class _Source:
    """Everything an importer gathered, in the form the writer takes."""

    model: nn.Module  # with its weights, or a skeleton on the meta device beside `weights`
    tokenizer_json: str
    chat_template: str | None
    generation: dict
    provenance: dict
    source_types: list[str]  # tensor types of the source weights
    reference_tokens: Callable[[str], list[tuple[int, str]]]  # the source tokenizer's verdict
    weights: LazyTensors | None = None  # read one at a time as written; None: the model's own


# -- hashing and tokens ---------------------------------------------------------------------
def sha256_of(path: str | os.PathLike) -> str:
    """A file's sha256, or for a directory the sha256 of its model files' names and hashes."""
    path = Path(path)
    if path.is_file():
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    listing = hashlib.sha256()
    for child in sorted(path.iterdir()):
        if (child.is_file() and child.suffix in MODEL_FILE_SUFFIXES
                and child.name not in TRAINING_ONLY_FILES):
            listing.update(f"{child.name}\0{sha256_of(child)}\n".encode())
    return listing.hexdigest()


def tokens_of(tokenizer: Tokenizer, text: str) -> list[tuple[int, str]]:
    """(id, token) pairs of `text` without added special tokens."""
    encoding = tokenizer.encode(text, add_special_tokens=False)
    return list(zip(encoding.ids, encoding.tokens, strict=True))


def check_tokenizer(source: list[tuple[int, str]], stored: Tokenizer,
                    text: str = ROUND_TRIP_TEXT) -> None:
    """Raise ConversionError unless `stored` gives the `source` tokens for `text`."""
    ours = tokens_of(stored, text)
    for position, (expected, got) in enumerate(zip_longest(source, ours)):
        if expected != got:
            raise ConversionError(
                f"the stored tokenizer does not reproduce the source tokenizer: at token "
                f"{position} of the check text the source has {_describe(expected)}, the "
                f"stored tokenizer has {_describe(got)}")


def _describe(token: tuple[int, str] | None) -> str:
    return "nothing (the text ended)" if token is None else f"{token[1]!r} (id {token[0]})"


# -- sources --------------------------------------------------------------------------------
def _generation(eos_token_ids: list[int], bos_token_id: int | None = None,
                sampling: dict | None = None) -> dict:
    generation = dict(sampling or {})
    generation["eos_token_ids"] = list(eos_token_ids)
    if bos_token_id is not None:
        generation["bos_token_id"] = bos_token_id  # prepended to plain-text prompts
    return generation


def _checkpoint_base(training: dict) -> str:
    """The pretrained model a run started from (its `model.base`), or its preset."""
    spec = training.get("model") or {}
    return spec.get("base") or spec.get("preset") or ""


def _from_checkpoint(directory: Path) -> _Source:
    from ml.train.checkpoint import load_checkpoint

    try:
        model, tokenizer, meta = load_checkpoint(directory, merge_lora=True)
    except (OSError, ValueError, KeyError) as exc:
        raise ConversionError(f"{directory}: not a loadable checkpoint: {exc}") from exc
    reference = Tokenizer.from_file(str(directory / "tokenizer.json"))
    return _Source(
        model=model.eval(),
        tokenizer_json=tokenizer.to_str(),
        chat_template=meta.chat_template,
        # Our trainer prepends BOS to plain prompts when the checkpoint names one.
        generation=_generation(meta.eos_token_ids, meta.bos_token_id),
        provenance={"base_model": _checkpoint_base(meta.training) or directory.name,
                    "lora": meta.lora},
        source_types=["F32"],
        reference_tokens=lambda text: tokens_of(reference, text),
    )


# A fine-tune keeps how the `.sou` it started from was set to answer, but not its personality
# or steering vectors: those were measured on the base's activations, which the fine-tune
# moved, so a personality is applied to the result anew. Token ids come from the checkpoint.
IDS_FROM_CHECKPOINT = ("eos_token_ids", "bos_token_id")


def _base_settings(source: _Source, base: Path) -> _Source:
    """The base's reply settings (temperature, max_tokens, repetition penalty, stop, ...)
    under the checkpoint's token ids, and its chat template where the checkpoint has none."""
    with read_sou(base) as sou:
        stored = dict(sou.metadata.get(SECTION_GENERATION, {}))
        chat_template = sou.chat_template
    generation = {**stored, **source.generation}
    for key in IDS_FROM_CHECKPOINT:
        # The same tokenizer: the base's ids stand where the checkpoint names none.
        if source.generation.get(key) in (None, []) and key in stored:
            generation[key] = stored[key]
    return dataclasses.replace(source, generation=generation,
                               chat_template=source.chat_template or chat_template)


def _hf_sampling(directory: Path, warn: list[str]) -> dict:
    path = directory / "generation_config.json"
    if not path.is_file():
        return {}
    hf = json.loads(path.read_text(encoding="utf-8"))
    sampling = {ours: hf[theirs] for theirs, ours in HF_GENERATION_KEYS.items()
                if hf.get(theirs) is not None}
    if hf.get("do_sample") is False:
        sampling["temperature"] = 0.0  # transformers decodes greedily unless told to sample
    kept = {}
    for key, value in sampling.items():
        try:
            validate_metadata({"architecture": {"arch": "check"}, "generation": {key: value}}, 0)
        except SouFormatError as exc:
            warn.append(f"{path}: {key} ignored ({exc.message})")
            continue
        kept[key] = value
    return kept


def _from_hf_dir(directory: Path, warn: list[str]) -> _Source:
    import transformers

    from ml.model_map import ModelMapError
    from ml.model_map.hf import open_hf_dir

    try:
        loaded, weights = open_hf_dir(directory)
        reference = transformers.AutoTokenizer.from_pretrained(directory)
    except (ModelMapError, OSError, ValueError) as exc:
        raise ConversionError(f"{directory}: {exc}") from exc
    if not getattr(reference, "is_fast", False):
        raise ConversionError(f"{directory}: the tokenizer has no fast (tokenizer.json) form")
    hf_config = json.loads((directory / "config.json").read_text(encoding="utf-8"))

    def reference_tokens(text: str) -> list[tuple[int, str]]:
        ids = reference(text, add_special_tokens=False)["input_ids"]
        return list(zip(ids, reference.convert_ids_to_tokens(ids), strict=True))

    return _Source(
        model=loaded.model,
        tokenizer_json=loaded.tokenizer_json or reference.backend_tokenizer.to_str(),
        chat_template=loaded.chat_template or getattr(reference, "chat_template", None),
        # transformers' tokenizer decides about BOS itself (its post-processor), so do we.
        generation=_generation(loaded.eos_token_ids, None, _hf_sampling(directory, warn)),
        provenance={"base_model": hf_config.get("_name_or_path") or directory.name},
        source_types=sorted({_type_name(t.dtype) for t in loaded.model.state_dict().values()}),
        reference_tokens=reference_tokens,
        weights=weights,
    )


def _type_name(dtype: torch.dtype) -> str:
    return {torch.float16: "F16", torch.bfloat16: "BF16"}.get(dtype, "F32")


def _from_gguf(path: Path) -> _Source:
    from ml.model_map import ModelMapError
    from ml.model_map.gguf_load import open_gguf

    try:
        loaded, weights, vocabulary = open_gguf(path)
    except ModelMapError as exc:
        raise ConversionError(str(exc)) from exc
    if loaded.tokenizer_json is None:
        raise ConversionError(f"{path}: the GGUF file carries no tokenizer")
    # GGUF stores a vocabulary, not an encoder: the stored tokenizer's tokens must be the
    # file's tokens at the same ids, and decoding them must give the text back.
    candidate = Tokenizer.from_str(loaded.tokenizer_json)

    def reference_tokens(text: str) -> list[tuple[int, str]]:
        ids = candidate.encode(text, add_special_tokens=False).ids
        if candidate.decode(ids, skip_special_tokens=False) != text:
            raise ConversionError(f"{path}: the converted tokenizer does not decode the check "
                                  "text back to itself")
        return [(i, vocabulary[i] if i < len(vocabulary) else "<outside the vocabulary>")
                for i in ids]

    return _Source(
        model=loaded.model,
        tokenizer_json=loaded.tokenizer_json,
        chat_template=loaded.chat_template,
        # transformers' conversion of a GGUF vocabulary adds no BOS: the engine prepends it
        # where llama.cpp would.
        generation=_generation(loaded.eos_token_ids,
                               loaded.bos_token_id if loaded.source.get("add_bos") else None),
        provenance={"base_model": loaded.source.get("name") or path.stem},
        source_types=list(loaded.source.get("tensor_types", [])),
        reference_tokens=reference_tokens,
        weights=weights,
    )


# -- writing --------------------------------------------------------------------------------
def _weights(source: _Source) -> Mapping[str, torch.Tensor]:
    """Parameters under their first name, in the model's order: a tied output head is stored
    once, as the embedding."""
    if source.weights is not None:
        return source.weights.select(name for name, _ in source.model.named_parameters())
    return {name: param.detach() for name, param in source.model.named_parameters()}


def _tied_policy(model: nn.Module, policy: QuantPolicy) -> QuantPolicy:
    """A tied embedding is also the output head, so it gets the output head's precision."""
    params = dict(model.named_parameters(remove_duplicate=False))
    head = params.get("lm_head.weight")
    tied = [name for name, p in params.items() if p is head and name != "lm_head.weight"]
    if not tied:
        return policy
    return dataclasses.replace(policy, output_patterns=policy.output_patterns + tuple(tied))


def _requantize_warning(source_types: list[str], qtype: str) -> str | None:
    quantized = sorted(set(source_types) & set(BLOCK_TYPES))
    if qtype not in (*BLOCK_TYPES, *RECIPES) or not quantized:
        return None
    return (f"the source weights are already quantized ({', '.join(quantized)}); converting "
            f"them to {qtype} rounds them a second time, so quality is below what {qtype} "
            "from the original float weights would give")


def _write(source: _Source, out: Path, qtype: str, policy: QuantPolicy | None,
           source_format: str, source_path: Path, warn: list[str],
           stored: dict[str, tuple[str, np.ndarray]] | None = None) -> ImportReport:
    """`stored` tensors are written as they are (qtype AS_STORED); the rest become `qtype`,
    or F16 matrices and F32 vectors under AS_STORED."""
    from ml.model_map import ModelMapError

    if qtype not in (*EXPORT_TYPES, AS_STORED):
        raise ValueError(f"unknown tensor type {qtype!r}; choose from {list(EXPORT_TYPES)}")
    note = _requantize_warning(source.source_types, qtype)
    if note:
        warn.append(note)
        warnings.warn(note, stacklevel=3)
    digest = sha256_of(source_path)
    # The source by its name alone: the file is shared and downloaded, so where it lay on the
    # machine that imported it stays there.
    provenance = {**source.provenance, "source": {"format": source_format,
                                                  "name": source_path.name, "sha256": digest}}
    if source.source_types:
        provenance["quantization"] = {"type": qtype, "from_types": sorted(source.source_types)}
    partial = out.with_name(f".{out.name}.importing")
    try:
        write_sou(partial, config=source.model.config.to_dict(), tensors=_weights(source),
                  tokenizer_json=source.tokenizer_json, chat_template=source.chat_template,
                  generation=source.generation, provenance=provenance,
                  qtype="F16" if qtype == AS_STORED else qtype,
                  policy=_tied_policy(source.model, policy or QuantPolicy()), stored=stored)
    except ModelMapError as exc:  # a source tensor that cannot be read (the writer cleaned up)
        raise ConversionError(str(exc)) from exc
    try:
        with read_sou(partial) as written:
            stored = Tokenizer.from_str(written.tokenizer_json)
            counts: dict[str, int] = {}
            for info in written.tensor_infos:
                counts[info.type_name] = counts.get(info.type_name, 0) + 1
        check_tokenizer(source.reference_tokens(ROUND_TRIP_TEXT), stored)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, out)
    return ImportReport(path=out, source_format=source_format, qtype=qtype,
                        tensors_by_type=counts, file_bytes=out.stat().st_size,
                        source_sha256=digest, warnings=warn)


def import_checkpoint(directory: str | os.PathLike, out: str | os.PathLike, qtype: str = "F32",
                      policy: QuantPolicy | None = None,
                      base: str | os.PathLike | None = None) -> ImportReport:
    """A training checkpoint directory (LoRA adapters merged) into a `.sou` file; a
    fine-tune's `base` (the `.sou` it started from) gives its reply settings."""
    directory = Path(directory)
    source = _from_checkpoint(directory)
    if base is not None:
        source = _base_settings(source, Path(base))
    return _write(source, Path(out), qtype, policy, "checkpoint", directory, [])


def import_hf_dir(directory: str | os.PathLike, out: str | os.PathLike, qtype: str = "F32",
                  policy: QuantPolicy | None = None) -> ImportReport:
    """A Hugging Face model directory into a `.sou` file."""
    directory, warn = Path(directory), []
    return _write(_from_hf_dir(directory, warn), Path(out), qtype, policy, "hf", directory, warn)


def import_gguf(path: str | os.PathLike, out: str | os.PathLike, qtype: str = "F32",
                policy: QuantPolicy | None = None) -> ImportReport:
    """A GGUF file (LLaMA family) into a `.sou` file. With qtype AS_STORED each tensor keeps
    its own bytes where `.sou` has its type (K-quants, Q8_0, Q4_0, Q4_1, floats), so nothing
    is rounded twice; tensors of other types are dequantized (matrices to F16) with a notice."""
    path, warn = Path(path), []
    source = _from_gguf(path)
    stored = _stored_blocks(path, warn) if qtype == AS_STORED else None
    return _write(source, Path(out), qtype, policy, "gguf", path, warn, stored)


def _stored_blocks(path: Path, warn: list[str]) -> dict[str, tuple[str, np.ndarray]]:
    from ml.model_map import ModelMapError
    from ml.model_map.gguf_load import stored_tensors

    try:
        kept, other = stored_tensors(path)
    except ModelMapError as exc:
        raise ConversionError(str(exc)) from exc
    by_type: dict[str, list[str]] = {}
    for name, type_name in other.items():
        by_type.setdefault(type_name, []).append(name)
    for type_name, names in sorted(by_type.items()):
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        note = (f"{len(names)} tensor(s) stored as {type_name} ({shown}) are dequantized to "
                f"F16 (vectors to F32): .sou has no {type_name}")
        warn.append(note)
        warnings.warn(note, stacklevel=3)
    return {name: (type_name, data) for name, (type_name, _, data) in kept.items()}


def import_model(source: str | os.PathLike, out: str | os.PathLike, qtype: str = "F32",
                 policy: QuantPolicy | None = None,
                 base: str | os.PathLike | None = None) -> ImportReport:
    """Whichever importer fits `source`: a .gguf file, a checkpoint (with the `.sou` it was
    fine-tuned from as `base`, if any) or a Hugging Face dir."""
    from ml.train.checkpoint import is_checkpoint

    source = Path(source)
    if source.is_file() and source.suffix.lower() == ".gguf":
        return import_gguf(source, out, qtype, policy)
    if source.is_dir() and is_checkpoint(source):
        return import_checkpoint(source, out, qtype, policy, base)
    if source.is_dir() and (source / "config.json").is_file():
        return import_hf_dir(source, out, qtype, policy)
    raise ConversionError(f"{source}: not a .gguf file, a training checkpoint or a Hugging Face "
                          "model directory (config.json)")


# -- export ---------------------------------------------------------------------------------
def export_hf_dir(sou_path: str | os.PathLike, out_dir: str | os.PathLike) -> list[str]:
    """A `.sou` file as a Hugging Face directory (weights dequantized to float32) that
    transformers loads; returns warnings about what Hugging Face has no place for."""
    from ml.model_map import save_hf_dir
    from ml.model_map.base import build_empty, load_weights
    from ml.models import config_from_dict

    out_dir = Path(out_dir)
    with read_sou(sou_path) as sou:
        model = build_empty(config_from_dict(dict(sou.config)))
        state = {info.name: sou.tensor(info.name, torch.float32).clone()
                 for info in sou.tensor_infos if not info.name.startswith(STEERING_PREFIX)}
        load_weights(model, state)
        generation = sou.generation
        save_hf_dir(model, out_dir, sou.tokenizer_json, sou.chat_template,
                    eos_token_ids=generation.get("eos_token_ids") or [],
                    bos_token_id=generation.get("bos_token_id"))
        steered = bool(sou.steering_vectors())
    config_path = out_dir / "generation_config.json"
    hf = json.loads(config_path.read_text()) if config_path.is_file() else {}
    hf.update({theirs: generation[ours] for theirs, ours in HF_GENERATION_KEYS.items()})
    hf["do_sample"] = generation["temperature"] > 0
    if not hf["do_sample"]:
        for key in ("temperature", "top_k", "top_p", "min_p"):
            hf.pop(key)  # transformers warns about sampling settings on greedy configs
    config_path.write_text(json.dumps(hf, indent=2), encoding="utf-8")
    if steered:
        return [(f"{sou_path}: personality steering vectors are not exported (Hugging Face "
                "models have no place for them)")]
    return []
