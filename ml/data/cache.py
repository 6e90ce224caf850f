"""The token cache: records are tokenized in a stream straight into memory-mapped files under a
directory named by the hash of the data's content and of the tokenizer, so a multi-GB corpus
never sits in RAM and a second run with the same data and tokenizer skips tokenization.

A cache entry is `tokens.bin` (uint16/uint32 ids), optionally `mask.bin` (uint8, 1 where the
token is a training target; written only when some tokens are not), `examples.bin` (int64: the
offset where each example starts, then the end), `plain.bin` (uint8 per example, 1 where it is
a plain text document) and `meta.json`, whose "layout" says how the tokens are batched:
- "stream": plain text, documents separated by the end-of-text token, cut into random windows;
- "examples": instruction pairs and chats, each example whole, and the text documents beside
  them (a .txt file is one document), which continue across rows;
- "pairs": preference records for DPO, each as two examples, prompt + chosen then
  prompt + rejected, the mask on the response only.
Given per-record scores (ml/data/scores.py: a curriculum's order, sampling weights), plain text
is laid out as examples too (a document each), `scores.bin` (float64, one row per score table,
one column per example: its record's score) is written beside them, and the scores' content is
part of the entry's key.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from ml.data.chat import ChatTemplateError, split_chat
from ml.data.errors import DataFormatError
from ml.data.records import Record, display_name, list_files
from ml.data.scores import RecordScores
from ml.data.tokenizer import token_dtype, tokenizer_hash

# Bump when the layout or the way records become tokens changes, to invalidate old caches.
CACHE_VERSION = 3
# Texts handed to the tokenizer at once; encode_batch runs them in parallel.
ENCODE_BATCH_CHARS = 4 << 20


def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sloughgpt" / "tokens"


def content_hash(path: str | Path, extra: str = "") -> str:
    """sha256 over every data file's relative name and bytes, plus `extra` (reading options)."""
    digest = hashlib.sha256(f"v{CACHE_VERSION}\n{extra}\n".encode())
    root = Path(path)
    for file in list_files(root):
        digest.update(f"{display_name(file, root)}\n".encode())
        with open(file, "rb") as f:
            digest.update(hashlib.file_digest(f, "sha256").digest())
    return digest.hexdigest()


@dataclass
class TokenFile:
    """A tokenized corpus as memory maps: `tokens` (N,) ids and optional `mask` (N,) targets;
    for the "examples" and "pairs" layouts, `bounds` (E + 1,) where each example starts and
    `plain` (E,) True where the example is a plain text document."""

    tokens: np.ndarray
    mask: np.ndarray | None
    layout: str = "stream"
    bounds: np.ndarray | None = None
    plain: np.ndarray | None = None
    # (K, E): each example's record's score in each of the K score tables it was written with.
    scores: np.ndarray | None = None


@dataclass(frozen=True)
class PairMarkup:
    """How pairs, chats and preferences become text: a chat template and the token strings
    it may use."""

    chat_template: str
    bos_token: str = ""
    eos_token: str = ""


def cached_tokens(
    records: Iterable[Record],
    data_hash: str,
    tokenizer: Tokenizer,
    markup: PairMarkup,
    eos_token_id: int | None,
    cache_dir: Path,
    preference: bool = False,
    scores: Sequence[RecordScores] = (),
) -> TokenFile:
    """Open the cache entry for this data + tokenizer (+ scores), writing it first if missing.

    `preference` tokenizes preference records for DPO (and only those)."""
    parts = [
        data_hash,
        tokenizer_hash(tokenizer),
        markup.chat_template,
        markup.bos_token,
        markup.eos_token,
        eos_token_id,
        preference,
    ]
    if scores:  # appended only then, so entries written without scores keep their keys
        parts.append([table.digest for table in scores])
    key = hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]
    entry = cache_dir / key
    if not (entry / "meta.json").exists():
        _write_entry(entry, records, tokenizer, markup, eos_token_id, preference, scores)
    return open_entry(entry)


def open_entry(entry: Path) -> TokenFile:
    meta = json.loads((entry / "meta.json").read_text())
    tokens = _memmap(entry / "tokens.bin", meta["dtype"], meta["n_tokens"])
    mask = _memmap(entry / "mask.bin", "uint8", meta["n_tokens"]) if meta["has_mask"] else None
    if meta["layout"] == "stream":
        return TokenFile(tokens, mask)
    bounds = np.fromfile(entry / "examples.bin", dtype=np.int64)
    plain = np.fromfile(entry / "plain.bin", dtype=np.uint8).astype(bool)
    scores = None
    if meta.get("scores"):
        scores = np.fromfile(entry / "scores.bin", dtype=np.float64).reshape(meta["scores"], -1)
    return TokenFile(tokens, mask, meta["layout"], bounds, plain, scores)


def _memmap(path: Path, dtype: str, n: int) -> np.ndarray:
    if n == 0:
        return np.zeros(0, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", shape=(n,))


def _write_entry(
    entry: Path,
    records: Iterable[Record],
    tokenizer: Tokenizer,
    markup: PairMarkup,
    eos_token_id: int | None,
    preference: bool,
    scores: Sequence[RecordScores] = (),
) -> None:
    entry.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the final place and renamed in one step, so a crash or a concurrent run
    # never leaves a half-written entry that looks complete.
    tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}-", dir=entry.parent))
    try:
        writer = _StreamWriter(tmp, token_dtype(tokenizer.get_vocab_size()), scores)
        _tokenize(records, tokenizer, markup, eos_token_id, writer, preference)
        writer.close("pairs" if preference else "examples" if writer.has_examples else "stream")
        try:
            os.rename(tmp, entry)
        except OSError:
            if not (entry / "meta.json").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _tokenize(
    records: Iterable[Record],
    tokenizer: Tokenizer,
    markup: PairMarkup,
    eos_token_id: int | None,
    writer: _StreamWriter,
    preference: bool,
) -> None:
    # Pieces are (text, is_target, starts): `starts` is the kind of the record whose example
    # the piece starts, None for the rest. They are encoded in large batches, then written in
    # order. An empty text stands for the end-of-text token.
    pieces: list[tuple[str, bool, str | None]] = []
    size, previous = 0, None
    for record in records:
        if record.new_document:
            # A text document ends with the end-of-text token when another document follows.
            if previous == "text" and eos_token_id is not None:
                pieces.append(("", True, None))
            previous = record.kind
        examples = record_examples(record, markup, preference)
        if record.new_document:
            writer.score(record, len(examples))
        for example in examples:
            # A .txt file's later chunks continue its example.
            starts = record.kind if record.new_document else None
            pieces += [
                (text, target, starts if i == 0 else None)
                for i, (text, target) in enumerate(example)
            ]
            size += sum(len(text) for text, _ in example)
        if record.kind != "text":
            writer.has_examples = True
        if size >= ENCODE_BATCH_CHARS:
            _flush(pieces, tokenizer, eos_token_id, writer)
            pieces, size = [], 0
    _flush(pieces, tokenizer, eos_token_id, writer)


def record_examples(
    record: Record, markup: PairMarkup, preference: bool = False
) -> list[list[tuple[str, bool]]]:
    """The examples a record trains as, each a list of (text, is_target) pieces.

    Text and continuation chunks are one piece; pairs and chats go through the chat template
    with the assistant turns as targets; a preference record is two examples (prompt + chosen,
    prompt + rejected) whose target is the response alone.
    """
    kind = record.kind
    if preference != (kind == "preference"):
        message = (
            f"a {kind} record cannot train with DPO, which takes preference records "
            "(prompt, chosen, rejected)"
            if preference
            else "a preference record (prompt, chosen, rejected) trains only with DPO"
        )
        raise DataFormatError(record.file, record.line, message)
    tokens = {"bos_token": markup.bos_token, "eos_token": markup.eos_token}
    try:
        if kind == "text":
            return [[(record.text or "", True)]]
        if kind != "preference":
            return [split_chat(markup.chat_template, record.chat_messages(), **tokens)]
        examples = []
        for response in (record.chosen, record.rejected):
            messages = [*record.prompt_messages(), {"role": "assistant", "content": response}]
            pieces = split_chat(markup.chat_template, messages, **tokens)
            last = max(i for i, (_, target) in enumerate(pieces) if target)
            examples.append([(text, i == last) for i, (text, _) in enumerate(pieces)])
        return examples
    except ChatTemplateError as exc:
        raise DataFormatError(record.file, record.line, str(exc)) from exc


def _flush(pieces, tokenizer: Tokenizer, eos_token_id: int | None, writer: _StreamWriter) -> None:
    if not pieces:
        return
    encodings = tokenizer.encode_batch([text for text, _, _ in pieces], add_special_tokens=False)
    for (text, is_target, starts), encoding in zip(pieces, encodings):
        ids = encoding.ids if text else [eos_token_id]
        writer.write(ids, is_target, starts)


class _StreamWriter:
    """Appends ids to tokens.bin; starts mask.bin (back-filled with 1s) at the first non-target."""

    def __init__(self, directory: Path, dtype: str, scores: Sequence[RecordScores] = ()):
        self.directory = directory
        self.dtype = dtype
        self.score_tables = scores
        self.scores: list[list[float]] = []  # per example: its record's score in each table
        # Both files stay open across write() calls; close() ends them.
        self.tokens = open(directory / "tokens.bin", "wb")  # noqa: SIM115
        self.mask = None
        self.n_tokens = 0
        self.starts: list[int] = []
        self.plain: list[bool] = []  # per example: a plain text document
        # Scored records are examples, whatever their kind: they are ordered or drawn one by one.
        self.has_examples = bool(scores)

    def score(self, record: Record, examples: int) -> None:
        """Notes the scores of a record that starts `examples` examples."""
        if self.score_tables:
            row = [table.get(record.file, record.line) for table in self.score_tables]
            self.scores += [row] * examples

    def write(self, ids: list[int], is_target: bool, starts: str | None = None) -> None:
        """Append `ids`; `starts` is the record kind when they begin an example."""
        if starts is not None:
            self.starts.append(self.n_tokens)
            self.plain.append(starts == "text")
        if not ids:
            return
        self.tokens.write(np.asarray(ids, dtype=self.dtype).tobytes())
        if not is_target and self.mask is None:
            self.mask = open(self.directory / "mask.bin", "wb")  # noqa: SIM115
            for start in range(0, self.n_tokens, 1 << 24):
                self.mask.write(np.ones(min(1 << 24, self.n_tokens - start), np.uint8).tobytes())
        if self.mask is not None:
            self.mask.write(np.full(len(ids), int(is_target), np.uint8).tobytes())
        self.n_tokens += len(ids)

    def close(self, layout: str) -> None:
        self.tokens.close()
        if self.mask is not None:
            self.mask.close()
        if layout != "stream":
            bounds = np.asarray([*self.starts, self.n_tokens], dtype=np.int64)
            bounds.tofile(self.directory / "examples.bin")
            np.asarray(self.plain, dtype=np.uint8).tofile(self.directory / "plain.bin")
        if self.score_tables:
            table = np.asarray(self.scores, dtype=np.float64).reshape(-1, len(self.score_tables))
            np.ascontiguousarray(table.T).tofile(self.directory / "scores.bin")
        meta = {
            "n_tokens": self.n_tokens,
            "dtype": self.dtype,
            "has_mask": self.mask is not None,
            "layout": layout,
            "scores": len(self.score_tables),
        }
        (self.directory / "meta.json").write_text(json.dumps(meta))
