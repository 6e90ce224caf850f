"""One node per real entity: mentions are grouped by their normalized name, then groups whose
name embeddings are nearly the same ("Acme Corporation" and "Acme Corp.") are merged, the
most frequent spelling naming the node and the others kept as aliases."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

# Cosine similarity of all-MiniLM-L6-v2 name embeddings above which two names are taken
# for one entity: spelling variants score above it, different people of one surname below.
MERGE_SIMILARITY = 0.92
_LEADING = re.compile(r"^(the|a|an)\s+")
_POSSESSIVE = re.compile(r"['’]s$")
_SPACE = re.compile(r"\s+")
# Punctuation that spelling variants differ by ("Acme Corp." / "Acme Corp", "Jean-Luc").
_PUNCT = re.compile(r"[^\w\s&+]")
# Names compared against all others at once while merging: a (512, G) block of similarities
# (8 MB at G = 4,000) instead of the whole (G, G) matrix, which a book's 16k names make 1 GB.
MERGE_BLOCK = 512


def normalize_name(text: str) -> str:
    """The key one entity's spellings share: case-folded, accents and punctuation dropped,
    leading articles and a possessive removed, spaces collapsed. "The Curies'" and "curies"
    differ only by the plural, which is kept (it names a family, not a person)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().strip()
    text = _POSSESSIVE.sub("", text)
    text = _PUNCT.sub(" ", text)
    text = _SPACE.sub(" ", text).strip()
    return _LEADING.sub("", text)


@dataclass
class MergedEntity:
    name: str  # the most frequent spelling
    normalized_name: str
    label: str  # the most frequent label
    aliases: list[str] = field(default_factory=list)  # the other spellings
    members: list[int] = field(default_factory=list)  # indices into the input mentions


def merge_mentions(names: Sequence[str], labels: Sequence[str], embeddings: np.ndarray | None = None,
                   threshold: float = MERGE_SIMILARITY) -> list[MergedEntity]:
    """Groups mention `names` (with their `labels`) into entities. `embeddings` (N, D),
    unit length, one per name, merges groups whose names are that similar; without them only
    equal normalized names merge."""
    groups: dict[str, list[int]] = defaultdict(list)  # insertion-ordered: first mention first
    for i, name in enumerate(names):
        if key := normalize_name(name):
            groups[key].append(i)
    order = list(groups)
    parent = {key: key for key in order}

    def find(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    if embeddings is not None and len(order) > 1:
        vectors = np.stack([embeddings[groups[key][0]] for key in order]).astype(np.float32)  # (G, D)
        for start in range(0, len(order), MERGE_BLOCK):
            block = vectors[start:start + MERGE_BLOCK] @ vectors[start:].T  # (B, G - start) cosines
            rows, columns = np.nonzero(np.triu(block, k=1) >= threshold)  # each pair once, a < b
            for a, b in zip((rows + start).tolist(), (columns + start).tolist(), strict=True):
                parent[find(order[b])] = find(order[a])
    merged: dict[str, list[int]] = {}
    for key in order:
        merged.setdefault(find(key), []).extend(groups[key])
    return [_entity(root, sorted(members), names, labels) for root, members in merged.items()]


def _entity(root: str, members: list[int], names: Sequence[str], labels: Sequence[str]) -> MergedEntity:
    spellings = Counter(names[i] for i in members)
    name = spellings.most_common(1)[0][0]
    label = Counter(labels[i] for i in members).most_common(1)[0][0]
    return MergedEntity(name=name, normalized_name=root, label=label,
                        aliases=sorted(spelling for spelling in spellings if spelling != name),
                        members=members)
