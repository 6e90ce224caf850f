"""Where the training text comes from and how it becomes tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass
class DataConfig:
    # A .txt/.jsonl/.json/.csv file, a directory of them, or a pre-tokenized .bin.
    path: str = ""
    # Optional separate validation set; empty means the tail of `path` (see val_fraction).
    val_path: str = ""
    # Share of the token stream (its end) held out for validation when val_path is empty.
    val_fraction: float = 0.1
    # "char", "bpe" (trained on the data), "base" (the base model's) or a tokenizer.json path.
    tokenizer: str = "char"
    # Vocabulary size of a BPE tokenizer trained on the data.
    bpe_vocab_size: int = 8192
    # Column/field holding plain text in .jsonl/.json/.csv records.
    text_column: str = "text"
    # Fields of instruction pairs; the loss is taken on the response only.
    prompt_column: str = "prompt"
    response_column: str = "response"
    # Field of a chat: a list of {"role": "system"|"user"|"assistant", "content"} messages,
    # rendered through the chat template; the loss is taken on assistant turns only.
    messages_column: str = "messages"
    # Fields of preference records (with prompt_column) for DPO.
    chosen_column: str = "chosen"
    rejected_column: str = "rejected"
    # Instruction, chat and preference examples fill training rows whole, several short ones
    # per row, instead of windows cut anywhere in one stream; longer ones are cut (and counted).
    packing: bool = True
    # Element type of a pre-tokenized .bin file (nanoGPT writes uint16).
    bin_dtype: Literal["uint16", "uint32"] = "uint16"
    # Where token caches live; empty means ~/.cache/sloughgpt/tokens.
    cache_dir: str = ""
    # A scores file (one number per record, see ml/data/scores.py): training examples come in
    # the order of their scores (a curriculum: shortest first, say) instead of shuffled.
    order_by: str = ""
    # "asc": the lowest score first; "desc": the highest first. Records without one come last.
    order: Literal["asc", "desc"] = "asc"
    # A scores file whose numbers training examples are drawn in proportion to (with
    # replacement, an epoch's worth at a time); a record without one weighs the mean.
    weight_by: str = ""
