"""Splitting a document's text into overlapping chunks of about `size` words that end on
sentence boundaries where they can, so each chunk reads as a passage and fits the embedding
model's window."""

from __future__ import annotations

import re

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# A sentence ends at . ! or ? (optionally closed by a quote or bracket) followed by space.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")


def split_sentences(text: str) -> list[str]:
    """Sentences in reading order; paragraph breaks always end a sentence (headings, lists)."""
    sentences = []
    for paragraph in _PARAGRAPH_BREAK.split(text):
        flat = " ".join(paragraph.split())
        sentences.extend(s for s in _SENTENCE_END.split(flat) if s)
    return sentences


def _pieces(sentence: str, size: int) -> list[list[str]]:
    # A sentence longer than a whole chunk is cut by words; nothing else is.
    words = sentence.split()
    return [words[i : i + size] for i in range(0, len(words), size)]


def chunk_text(text: str, *, size: int, overlap: int) -> list[str]:
    """Chunks of at most `size` words; each repeats up to `overlap` words of whole sentences
    (or, when the last sentence is longer, its last `overlap` words) from the one before."""
    if size < 1 or not 0 <= overlap < size:
        raise ValueError(f"need size >= 1 and 0 <= overlap < size, got {size=} {overlap=}")
    units = [piece for sentence in split_sentences(text) for piece in _pieces(sentence, size)]
    chunks: list[list[list[str]]] = []
    current: list[list[str]] = []
    for unit in units:
        if current and sum(map(len, current)) + len(unit) > size:
            chunks.append(current)
            current = _carry(current, overlap)
            while current and sum(map(len, current)) + len(unit) > size:
                current.pop(0)
        current.append(unit)
    if current:
        chunks.append(current)
    return [" ".join(" ".join(unit) for unit in chunk) for chunk in chunks]


def _carry(chunk: list[list[str]], overlap: int) -> list[list[str]]:
    """The tail of `chunk` that starts the next one."""
    carried: list[list[str]] = []
    total = 0
    for unit in reversed(chunk):
        if total + len(unit) > overlap:
            break
        carried.insert(0, unit)
        total += len(unit)
    if not carried and overlap:
        carried = [chunk[-1][-overlap:]]
    return carried
