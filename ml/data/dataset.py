"""From a `DataConfig` to train and validation token streams, and batches drawn from them.

Plain text is one stream cut into random windows; instruction pairs and chats are whole
examples packed into rows (with any text beside them continued across rows), and preference
records pairs of examples (see ml/data/packing.py).
Per-record scores (`order_by`, `weight_by`) order or weight the training examples (not the
validation ones), see ml/data/scores.py.
Either way batch number `index` of a run is always the same rows (drawn by a generator seeded
with (seed, index)), so resuming needs only the index, and N processes drawing indices rank,
rank + N, ... see exactly what one process with N-fold accumulation sees.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer

from ml.data.cache import (
    PairMarkup,
    TokenFile,
    cached_tokens,
    content_hash,
    default_cache_dir,
    record_examples,
)
from ml.data.chat import DEFAULT_CHAT_TEMPLATE
from ml.data.config import DataConfig
from ml.data.errors import DataFormatError
from ml.data.packing import IGNORE_INDEX, ExampleStream, split_examples, whole_examples
from ml.data.records import Columns, iter_records
from ml.data.scores import check_weights, read_scores
from ml.data.tokenizer import (
    build_char_tokenizer,
    eos_token_id,
    tokenizer_from_json,
    train_bpe_tokenizer,
)


@dataclass
class TokenStream:
    """A contiguous slice [start, stop) of a tokenized corpus."""

    tokens: np.ndarray  # (N,) token ids
    mask: np.ndarray | None  # (N,) 1 where the token is a training target; None: all are
    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start

    def batch(
        self, batch_size: int, block_size: int, seed: int, index: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and targets for batch number `index`: two (B, T) int64 tensors."""
        if len(self) <= block_size:
            raise ValueError(
                f"a split of {len(self)} tokens is too short for block_size {block_size}"
            )
        rng = np.random.default_rng([seed, index])
        offsets = self.start + rng.integers(0, len(self) - block_size, size=batch_size)
        window = offsets[:, None] + np.arange(block_size + 1)  # (B, T + 1)
        ids = torch.from_numpy(self.tokens[window].astype(np.int64))
        x, y = ids[:, :-1], ids[:, 1:].clone()
        if self.mask is not None:
            y[torch.from_numpy(self.mask[window[:, 1:]] == 0)] = IGNORE_INDEX
        return x, y


@dataclass
class PreparedData:
    train: TokenStream | ExampleStream
    val: TokenStream | ExampleStream
    tokenizer: Tokenizer
    eos_token_id: int | None
    chat_template: str
    # Pairs and chats longer than a row, cut by the last `pack` (for DPO: preference pairs
    # whose prompt was shortened from the left).
    cut_examples: int = 0
    # Preference pairs the last `pack` left out: their responses do not fit a row.
    dropped_pairs: int = 0

    def pack(self, block_size: int) -> int:
        """Lay examples out in rows of block_size + 1 tokens (plain text needs nothing);
        returns how many are cut to fit, also kept in `cut_examples`."""
        streams = [s for s in (self.train, self.val) if isinstance(s, ExampleStream)]
        self.cut_examples = sum(stream.pack(block_size) for stream in streams)
        self.dropped_pairs = sum(stream.dropped for stream in streams)
        return self.cut_examples


@dataclass
class BaseTokenizer:
    """What a base model brings: its tokenizer and how its chats are written."""

    tokenizer: Tokenizer
    chat_template: str | None = None
    eos_token_id: int | None = None
    bos_token: str = ""
    eos_token: str = ""


def prepare_data(
    cfg: DataConfig, base: BaseTokenizer | None = None, *, preference: bool = False
) -> PreparedData:
    """Tokenize (or open the cache of) the configured data and split it.

    `preference` reads preference records for DPO: every record must be one."""
    if not cfg.path:
        raise DataFormatError("data.path", 0, "no training data configured")
    cache_dir = Path(cfg.cache_dir) if cfg.cache_dir else default_cache_dir()
    columns = data_columns(cfg)
    # The base model's chat markup applies only when its tokenizer is the one in use.
    use_base = cfg.tokenizer == "base" and base is not None
    markup = PairMarkup(
        (base.chat_template if use_base else None) or DEFAULT_CHAT_TEMPLATE,
        base.bos_token if use_base else "",
        base.eos_token if use_base else "",
    )
    train_source = _Source(cfg.path, columns)
    tokenizer = resolve_tokenizer(cfg, train_source, cache_dir, base, markup)
    eos_id = base.eos_token_id if use_base else eos_token_id(tokenizer)

    scores = [read_scores(path) for path in (cfg.order_by, cfg.weight_by) if path]

    def load(source: _Source, scored: bool = False) -> TokenFile:
        if source.is_bin:
            if preference:
                raise DataFormatError(Path(source.path).name, 0, "DPO needs preference records")
            if scored and scores:
                message = "a pre-tokenized file has no records to order or weight"
                raise DataFormatError(Path(source.path).name, 0, message)
            return load_bin(source.path, cfg.bin_dtype, tokenizer.get_vocab_size())
        records = iter_records(source.path, columns)
        return cached_tokens(
            records, source.hash, tokenizer, markup, eos_id, cache_dir, preference=preference,
            scores=scores if scored else (),
        )

    train_file = load(train_source, scored=True)
    if cfg.val_path:
        train = whole(train_file, cfg.packing)
        val = whole(load(_Source(cfg.val_path, columns)), cfg.packing)
    else:
        train, val = split(train_file, cfg.val_fraction, cfg.packing)
    if scores and isinstance(train, ExampleStream) and train_file.scores is not None:
        _score_examples(train, train_file.scores, cfg)
    return PreparedData(train, val, tokenizer, eos_id, markup.chat_template)


def _score_examples(train: ExampleStream, table: np.ndarray, cfg: DataConfig) -> None:
    """Gives the training examples the order and weights of their records' scores (`table`:
    one row per scores file, order_by's first)."""
    rows = iter(table)
    for path, kind in ((cfg.order_by, "order"), (cfg.weight_by, "weights")):
        if not path:
            continue
        values = next(rows)
        name = Path(path).name
        if np.isnan(values[train.first : train.stop]).all():
            message = "no training record has a score (records are matched by file and line)"
            raise DataFormatError(name, 0, message)
        if kind == "order":
            train.order, train.descending = values, cfg.order == "desc"
        else:
            train.weights = check_weights(values, name)


def data_columns(cfg: DataConfig) -> Columns:
    return Columns(
        text=cfg.text_column,
        prompt=cfg.prompt_column,
        response=cfg.response_column,
        messages=cfg.messages_column,
        chosen=cfg.chosen_column,
        rejected=cfg.rejected_column,
    )


def whole(data: TokenFile, packing: bool = True) -> TokenStream | ExampleStream:
    """All of a tokenized file as one split."""
    if data.bounds is None:
        return TokenStream(data.tokens, data.mask, 0, len(data.tokens))
    pairs = data.layout == "pairs"
    return whole_examples(data.tokens, data.mask, data.bounds, pairs, packing, data.plain)


def split(
    data: TokenFile, val_fraction: float, packing: bool = True
) -> tuple[TokenStream | ExampleStream, TokenStream | ExampleStream]:
    """First (1 - val_fraction) of the stream (or of the examples) trains, the rest validates
    (as nanoGPT does)."""
    if data.bounds is not None:
        pairs = data.layout == "pairs"
        return split_examples(
            data.tokens, data.mask, data.bounds, val_fraction, pairs, packing, data.plain
        )
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    n = len(data.tokens)
    cut = int(n * (1.0 - val_fraction))
    return TokenStream(data.tokens, data.mask, 0, cut), TokenStream(data.tokens, data.mask, cut, n)


class _Source:
    """A data path and, computed once on first use, the hash of its content."""

    def __init__(self, path: str, columns: Columns):
        self.path = path
        self.columns = columns
        self.is_bin = Path(path).suffix == ".bin"
        self._hash: str | None = None

    @property
    def hash(self) -> str:
        if self._hash is None:
            self._hash = content_hash(self.path, repr(self.columns))
        return self._hash


def resolve_tokenizer(
    cfg: DataConfig,
    source: _Source,
    cache_dir: Path,
    base: BaseTokenizer | None,
    markup: PairMarkup,
) -> Tokenizer:
    kind = cfg.tokenizer
    if kind == "base":
        if base is None:
            raise ValueError('data.tokenizer = "base" needs a base model (model.base)')
        return base.tokenizer
    if kind not in ("char", "bpe"):
        path = Path(kind)
        if not path.is_file():
            raise ValueError(f"data.tokenizer {kind!r} is not char, bpe, base or a tokenizer.json")
        return tokenizer_from_json(path.read_text(encoding="utf-8"))
    if source.is_bin:
        raise ValueError(f"a pre-tokenized .bin needs its tokenizer, not data.tokenizer = {kind!r}")
    spec = f"{kind}-{cfg.bpe_vocab_size}" if kind == "bpe" else kind
    key = hashlib.sha256(f"{source.hash}\n{spec}\n{markup.chat_template}".encode()).hexdigest()
    cached = cache_dir / f"tokenizer-{key[:32]}.json"
    if cached.exists():
        return tokenizer_from_json(cached.read_text(encoding="utf-8"))
    texts = _texts(source, markup)
    if kind == "char":
        tokenizer = build_char_tokenizer(texts)
    else:
        tokenizer = train_bpe_tokenizer(texts, cfg.bpe_vocab_size)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(tokenizer.to_str(), encoding="utf-8")
    tmp.replace(cached)
    return tokenizer


def _texts(source: _Source, markup: PairMarkup):
    # Pairs and chats are rendered with the chat template so its markup is in the vocabulary too.
    for record in iter_records(source.path, source.columns):
        preference = record.kind == "preference"
        for example in record_examples(record, markup, preference):
            yield from (text for text, _ in example)


def load_bin(path: str, dtype: str, vocab_size: int) -> TokenFile:
    """A pre-tokenized corpus (nanoGPT's train.bin), checked against the vocabulary."""
    # Errors name the file alone: a server must not show its directories (see records.py).
    name = Path(path).name
    size = Path(path).stat().st_size
    itemsize = np.dtype(dtype).itemsize
    if size % itemsize:
        raise DataFormatError(
            name, 0, f"size {size} is not a multiple of {dtype}'s {itemsize} bytes"
        )
    if size == 0:
        raise DataFormatError(name, 0, "empty file")
    tokens = np.memmap(path, dtype=dtype, mode="r")
    if int(tokens.max()) >= vocab_size:
        first = int(np.argmax(tokens >= vocab_size))
        message = f"token id {int(tokens[first])} at byte {first * itemsize} is outside the "
        raise DataFormatError(name, 0, message + f"vocabulary of {vocab_size}")
    return TokenFile(tokens, None)
