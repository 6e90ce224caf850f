"""GGUF files (llama.cpp's format) into our modules: metadata -> config and each of our tensors
found in the file (ml/model_map/gguf_archs.py knows every architecture's layout), tensors
dequantized with `gguf.quants` and rearranged back, and the embedded tokenizer and chat
template extracted. `open_gguf` gives the model as a skeleton and reads its weights one tensor
at a time, for converters; `load_gguf` fills the model with all of them.

Reading is delegated to the `gguf` package's memory-mapped GGUFReader; anything it or we find
wrong surfaces as one ModelMapError naming the field or tensor.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from gguf import GGUFReader, ReaderField, ReaderTensor
from gguf.quants import dequantize
from torch import nn

from ml.model_map.base import (
    LoadedModel,
    ModelMapError,
    build_empty,
    load_weights,
)
from ml.model_map.gguf_archs import (
    SUPPORTED_ARCHS,
    TIED_COPIES,
    Source,
    config_from_gguf,
    field_value,
    layout,
    text_field,
)
from ml.models import ModelConfig
from ml.sou.constants import BLOCK_TYPES, TENSOR_TYPES, tensor_byte_length
from ml.sou.gguf_vocab import MAX_TOKEN_LENGTH
from ml.sou.lazy import LazyTensors

__all__ = ["SUPPORTED_ARCHS", "load_gguf", "open_gguf", "stored_tensors"]

# Rows dequantized per step: bounds the temporaries of a large tensor to a few MB.
DEQUANTIZE_ELEMENTS = 1 << 22
# Bytes compared per step when a file's copy of a tensor is checked against the original.
COMPARE_BYTES = 1 << 22
# tokenizer.ggml.<key> -> the name transformers' GGUF tokenizer converter expects.
TOKENIZER_FIELDS = {
    "model": "tokenizer_type",
    "pre": "pre_tokenizer_type",
    "tokens": "tokens",
    "scores": "scores",
    "token_type": "token_type",
    "merges": "merges",
    "precompiled_charsmap": "precompiled_charsmap",
    "bos_token_id": "bos_token_id",
    "eos_token_id": "eos_token_id",
    "unknown_token_id": "unk_token_id",
    "padding_token_id": "pad_token_id",
    "add_space_prefix": "add_prefix_space",
}


def _shape(tensor: ReaderTensor) -> tuple[int, ...]:
    """PyTorch's (rows, cols) order; GGUF lists dims inner first."""
    return tuple(int(d) for d in reversed(tensor.shape.tolist()))


def _row_count(shape: tuple[int, ...]) -> int:
    """Rows as `Source.rows` counts them: all dims but the last flattened; a vector's elements."""
    return shape[0] if len(shape) == 1 else int(np.prod(shape[:-1]))


def _dequantized(tensor: ReaderTensor, rows: tuple[int, int] | None, path: Path) -> np.ndarray:
    """Float32 values of the tensor's rows [start, stop) (all of them when None), made a block
    of rows at a time into their own buffer (unquantized values are copied out of the
    read-only memory map)."""
    shape = _shape(tensor)
    data = tensor.data if tensor.data.ndim > 1 else tensor.data[np.newaxis]
    data = data.reshape(-1, data.shape[-1])  # rows of blocks, or of values when unquantized
    if rows is not None and len(shape) > 1:
        data = data[rows[0]:rows[1]]
    try:
        values = np.empty((len(data), shape[-1]), dtype=np.float32)
        step = max(1, DEQUANTIZE_ELEMENTS // max(1, shape[-1]))
        # Blocks never span rows, so dequantizing whole rows at a time gives the same values.
        for start in range(0, len(data), step):
            block = dequantize(data[start:start + step], tensor.tensor_type)
            values[start:start + step] = block.reshape(-1, shape[-1])
    except (NotImplementedError, ValueError) as exc:
        raise ModelMapError(
            f"{path}: tensor {tensor.name!r} ({tensor.tensor_type.name}): {exc}"
        ) from exc
    if rows is not None and len(shape) == 1:  # a vector's rows are its elements
        values = values[:, rows[0]:rows[1]].copy()
    return values


class _Plan(NamedTuple):
    """A checked file: its config, our tensors' sources and shapes, and its tensors by name."""

    arch: str  # general.architecture
    config: ModelConfig
    model: nn.Module  # the skeleton on the meta device
    sources: dict[str, Source]  # our tensor name -> where it lies in the file
    shapes: dict[str, tuple[int, ...]]  # our tensor name -> its shape
    tensors: dict[str, ReaderTensor]  # GGUF name -> the file's tensor


def _plan(reader: GGUFReader, path: Path) -> _Plan:
    """The file's config and layout, with every tensor the model needs present in the shape it
    needs and no tensor left over, checked before any weight is read."""
    by_name = {t.name: t for t in reader.tensors}
    file_shapes = {name: _shape(t) for name, t in by_name.items()}
    arch, config = config_from_gguf(reader.fields, file_shapes, path)
    try:
        model = build_empty(config)
    except (RuntimeError, ValueError) as exc:  # sizes no tensor can have (storage overflow)
        raise ModelMapError(f"{path}: the metadata describe no valid {arch} model: {exc}") from None
    sources, expected = layout(model, arch, set(by_name))
    copy, original = TIED_COPIES.get(arch, (None, None))
    if copy in by_name:  # a tied head written twice: accepted when it is the same tensor
        _check_copy(by_name[copy], by_name[original], arch, path)
        expected[copy] = expected[original]
    for name, shape in expected.items():
        if name not in file_shapes:
            raise ModelMapError(f"{path}: tensor {name!r} is missing (expected shape {shape})")
        if file_shapes[name] != shape:
            raise ModelMapError(f"{path}: tensor {name!r} has shape {file_shapes[name]}, "
                                f"expected {shape}")
    extra = sorted(set(file_shapes) - set(expected))
    if extra:
        raise ModelMapError(f"{path}: unexpected tensor {extra[0]!r} ({len(extra)} unexpected "
                            f"in all): a {arch} model has no place for it")
    _check_disjoint(reader.tensors, path)
    shapes = {name: tuple(param.shape) for name, param in model.named_parameters()}
    return _Plan(arch, config, model, sources, shapes, by_name)


def _check_disjoint(tensors: list[ReaderTensor], path: Path) -> None:
    """Each tensor's bytes its own: gguf-py checks a tensor's range against the end of the file
    only, and tensors sharing bytes would import to a model many times the file's size."""
    ordered = sorted(tensors, key=lambda t: t.data_offset)
    for tensor, following in zip(ordered, ordered[1:], strict=False):
        if tensor.data_offset + tensor.n_bytes > following.data_offset:
            raise ModelMapError(f"{path}: tensor {following.name!r} overlaps tensor "
                                f"{tensor.name!r} at byte {following.data_offset}")


def _check_copy(copy: ReaderTensor, original: ReaderTensor, arch: str, path: Path) -> None:
    a, b = (np.ascontiguousarray(t.data).reshape(-1).view(np.uint8) for t in (copy, original))
    same = copy.tensor_type == original.tensor_type and len(a) == len(b) and all(
        np.array_equal(a[i:i + COMPARE_BYTES], b[i:i + COMPARE_BYTES])
        for i in range(0, len(a), COMPARE_BYTES))
    if not same:
        raise ModelMapError(f"{path}: tensor {copy.name!r} differs from {original.name!r}; our "
                            f"{arch} models tie their output head to the embedding")


def _read(plan: _Plan, name: str, path: Path) -> torch.Tensor:
    """Our tensor `name` as float32: its rows dequantized, rearranged back and offset."""
    source = plan.sources[name]
    values = _dequantized(plan.tensors[source.tensor], source.rows, path)
    weight = torch.from_numpy(values).reshape(plan.shapes[name])
    if source.reorder is not None:
        weight = source.reorder(weight)
    return weight + source.offset if source.offset else weight


def stored_tensors(path: str | Path) -> tuple[dict[str, tuple[str, tuple[int, ...], np.ndarray]],
                                               dict[str, str]]:
    """The file's tensors as stored, for keeping their blocks instead of re-rounding them:
    ({our name: (type, shape, row-major bytes)} for the types `.sou` stores, with llama.cpp's
    row rearrangements undone row by row, {our name: GGUF type} for the others). Each
    tensor's byte count is checked against its type and shape before it is used. Tensors
    whose values are changed on the way in (Gemma's norms) are in neither: they are read as
    floats."""
    path = Path(path)
    plan = _plan(_reader(path), path)
    kept, other = {}, {}
    for ours, source in plan.sources.items():
        tensor = plan.tensors[source.tensor]
        type_name = tensor.tensor_type.name
        if type_name not in TENSOR_TYPES:
            other[ours] = type_name
            continue
        if source.offset or (type_name in BLOCK_TYPES and len(_shape(tensor)) == 1):
            continue  # block rows of a vector are not its elements: read as floats
        shape = plan.shapes[ours]
        rows = _byte_rows(tensor, type_name, path)
        if source.rows is not None:
            rows = rows[source.rows[0]:source.rows[1]]
        if source.reorder is not None:
            rows = source.reorder(torch.from_numpy(rows)).contiguous().numpy()
        kept[ours] = (type_name, shape, np.ascontiguousarray(rows).reshape(-1))
    return kept, other


def _byte_rows(tensor: ReaderTensor, type_name: str, path: Path) -> np.ndarray:
    """The tensor's bytes as rows (`Source.rows`' rows), after checking their count."""
    shape = _shape(tensor)
    data = np.ascontiguousarray(tensor.data).reshape(-1).view(np.uint8)
    try:
        expected = tensor_byte_length(type_name, shape)
    except ValueError as exc:
        raise ModelMapError(f"{path}: tensor {tensor.name!r} at byte {tensor.data_offset}: "
                            f"{exc}") from None
    if data.nbytes != expected:
        raise ModelMapError(f"{path}: tensor {tensor.name!r} at byte {tensor.data_offset}: "
                            f"{type_name} {shape} takes {expected} bytes, the file holds "
                            f"{data.nbytes}")
    return data.reshape(_row_count(shape), -1) if shape else data


def _tokenizer_json(fields: dict[str, ReaderField], tokens: list[str], path: Path) -> str:
    """The embedded tokenizer as tokenizer.json text, via transformers' GGUF converter."""
    try:
        from transformers.integrations.gguf import convert_gguf_tokenizer
    except ImportError:  # transformers 4 keeps it in integrations.ggml
        from transformers.integrations.ggml import convert_gguf_tokenizer

    tokenizer = {
        name: field_value(fields, f"tokenizer.ggml.{key}", path)
        for key, name in TOKENIZER_FIELDS.items()
        if f"tokenizer.ggml.{key}" in fields and key != "tokens"
    }
    tokenizer["tokens"] = tokens
    try:
        converted, _ = convert_gguf_tokenizer(text_field(fields, "general.architecture", path),
                                              tokenizer)
    # Third-party code over the file's arrays: whatever it raises (tokenizers' BPE raises a
    # bare Exception for a merge of unknown tokens) means the file's tokenizer is unusable.
    except Exception as exc:
        raise ModelMapError(f"{path}: tokenizer metadata cannot be converted: {exc}") from exc
    return converted.to_str()


def _tokens(fields: dict[str, ReaderField], vocab_size: int, path: Path) -> list[str] | None:
    """tokenizer.ggml.tokens, checked: text, no more tokens than embedding rows (llama.cpp
    refuses more; fewer is a padded embedding) and none of absurd length."""
    key = "tokenizer.ggml.tokens"
    tokens = field_value(fields, key, path)
    if tokens is None:
        return None
    if not isinstance(tokens, list) or not all(isinstance(token, str) for token in tokens):
        raise ModelMapError(f"{path}: metadata field {key!r} is not a list of text")
    if len(tokens) > vocab_size:
        raise ModelMapError(f"{path}: metadata field {key!r} lists {len(tokens)} tokens, more "
                            f"than the {vocab_size} rows of tensor 'token_embd.weight'")
    for token_id, token in enumerate(tokens):
        if len(token) > MAX_TOKEN_LENGTH:
            raise ModelMapError(f"{path}: metadata field {key!r}: token {token_id} is "
                                f"{len(token)} characters long, more than {MAX_TOKEN_LENGTH}")
    return tokens


def _token_id(fields: dict[str, ReaderField], key: str, vocab_size: int, path: Path) -> int | None:
    """A special token id field: an integer below the vocabulary size, or None when missing."""
    value = field_value(fields, key, path)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or not 0 <= value < vocab_size):
        raise ModelMapError(f"{path}: metadata field {key!r} is {repr(value)[:40]}, expected a "
                            f"token id below {vocab_size}")
    return value


def _reader(path: Path) -> GGUFReader:
    try:
        return GGUFReader(path)
    except (ValueError, OSError, IndexError, KeyError) as exc:
        raise ModelMapError(f"{path}: not a readable GGUF file: {exc}") from exc


class OpenGGUF(NamedTuple):
    loaded: LoadedModel  # its model is the skeleton on the meta device: names, shapes, ties
    weights: LazyTensors  # our names -> float32 tensors, read from the file when asked for
    vocabulary: list[str] | None  # tokenizer.ggml.tokens, when the file has a tokenizer


def open_gguf(path: str | Path) -> OpenGGUF:
    """A GGUF file's model without its weights, and the weights as a mapping that dequantizes
    (and rearranges) one tensor from the memory-mapped file each time it is asked for one.
    Names and shapes are checked against the model before anything is read."""
    path = Path(path)
    reader = _reader(path)
    fields = reader.fields
    plan = _plan(reader, path)

    def read(name: str) -> torch.Tensor:
        return _read(plan, name, path)

    vocab_size = plan.config.vocab_size
    tokens = _tokens(fields, vocab_size, path)
    eos = [_token_id(fields, f"tokenizer.ggml.{kind}_token_id", vocab_size, path)
           for kind in ("eos", "eot")]
    quant_types = sorted({t.tensor_type.name for t in reader.tensors})
    loaded = LoadedModel(
        model=plan.model.eval(),
        config=plan.config,
        tokenizer_json=None if tokens is None else _tokenizer_json(fields, tokens, path),
        chat_template=text_field(fields, "tokenizer.chat_template", path),
        eos_token_ids=list(dict.fromkeys(e for e in eos if e is not None)),
        bos_token_id=_token_id(fields, "tokenizer.ggml.bos_token_id", vocab_size, path),
        source={
            "format": "gguf",
            "path": str(path),
            "architecture": plan.arch,
            "name": text_field(fields, "general.name", path),
            "tensor_types": quant_types,
            "add_bos": _adds_bos(fields, path),
        },
    )
    # Only the tensors' entries stay referenced: the parsed metadata (hundreds of thousands
    # of small arrays for a vocabulary) is released before the weights are read.
    return OpenGGUF(loaded, LazyTensors(plan.shapes, read), tokens)


def _adds_bos(fields: dict[str, ReaderField], path: Path) -> bool:
    """Whether llama.cpp prepends BOS to this file's text: the file says so, or, when it is
    silent, SentencePiece ("llama") vocabularies do and BPE ones don't (llama.cpp's defaults;
    its pre-tokenizer-specific defaults, Llama 3's among them, are not modelled)."""
    key = "tokenizer.ggml.add_bos_token"
    said = field_value(fields, key, path)
    if said is not None and not isinstance(said, bool):
        raise ModelMapError(f"{path}: metadata field {key!r} is {repr(said)[:40]}, expected "
                            "true or false")
    if said is not None:
        return said
    return field_value(fields, "tokenizer.ggml.model", path) == "llama"


def load_gguf(path: str | Path) -> LoadedModel:
    """Load a GGUF file into our modules (float32, eval mode)."""
    loaded, weights, _ = open_gguf(path)
    load_weights(loaded.model, dict(weights))
    return loaded
