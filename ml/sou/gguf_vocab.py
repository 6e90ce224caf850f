"""SentencePiece-style tokenizers (BPE with byte fallback: LLaMA 2, Mistral, Gemma, Phi-3,
TinyLlama) as llama.cpp's SentencePiece vocabulary (`tokenizer.ggml.model = "llama"`).

llama.cpp's SentencePiece tokenizer holds no merges: it joins the adjacent pair whose joined
text is the vocabulary token with the highest score, until none is, and spells characters
outside the vocabulary as `<0xXX>` byte tokens. A token made by the merge of rank r therefore
scores -r, so llama.cpp joins pairs in the tokenizer's merge order. It joins any pair whose
text is a token, listed as a merge or not; Hugging Face files converted from SentencePiece
list every such pair, and a tokenizer whose merges leave some out gets a warning. Text is
split only at special tokens, and a space is put before the text at the start and after each
special token (`add_space_prefix`), which is what a `Prepend("▁")` normalizer does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gguf import TokenType

SPACE = "\u2581"  # "▁", SentencePiece's visible space
BYTE_TOKEN = re.compile(r"<0x[0-9A-F]{2}>")
# Score of a multi-character token no merge makes: below every merge, so llama.cpp (which
# joins into any token) joins into it last.
UNREACHABLE = -1e9
# Longest token text exported or imported (characters): real vocabularies stay below a
# hundred, and checking a token's pairs (or, on import, making its merges) takes time
# quadratic in its length.
MAX_TOKEN_LENGTH = 1024


@dataclass
class SentencePieceVocabulary:
    """A byte-fallback BPE tokenizer as llama.cpp's SentencePiece vocabulary holds it."""

    tokens: dict[int, str]  # id -> token text, "▁" for spaces
    scores: dict[int, float]  # id -> priority of joining a pair into it (-merge rank)
    types: dict[int, TokenType]  # BYTE for <0xXX>, NORMAL for the rest of the vocabulary
    add_space_prefix: bool  # a "▁" before the text and after each special token
    unknown: int | None


def _parts(node: dict | None) -> list[dict]:
    """A normalizer or pre-tokenizer as its list of steps (a Sequence's, or itself)."""
    if not node:
        return []
    steps = node.get("normalizers", node.get("pretokenizers")) if node.get("type") == "Sequence" else [node]
    if not isinstance(steps, list) or not all(isinstance(step, dict) for step in steps):
        raise ValueError("tokenizer field normalizer or pre_tokenizer is not a list of objects")
    return steps


def _is_space_to_marker(step: dict) -> bool:
    pattern = step.get("pattern") or {}
    return (step.get("type") == "Replace" and isinstance(pattern, dict)
            and pattern.get("String") == " " and step.get("content") == SPACE)


def _prefix(tokenizer: dict, warn: list[str]) -> bool:
    """Whether llama.cpp must prefix a space (add_space_prefix), from how the tokenizer turns
    spaces into "▁": a Prepend + Replace normalizer (LLaMA 2, Phi-3), a Replace alone (Gemma),
    or a Metaspace pre-tokenizer (newer LLaMA / Mistral files). Others raise ValueError."""
    normalizer, pre = _parts(tokenizer.get("normalizer")), _parts(tokenizer.get("pre_tokenizer"))
    kinds = [step.get("type") for step in normalizer]
    if kinds == ["Prepend", "Replace"] and normalizer[0].get("prepend") == SPACE \
            and _is_space_to_marker(normalizer[1]) and _splits_nothing(pre):
        return True
    if kinds == ["Replace"] and _is_space_to_marker(normalizer[0]) and _splits_nothing(pre):
        return False
    if not normalizer and [step.get("type") for step in pre] == ["Metaspace"] \
            and pre[0].get("replacement", SPACE) == SPACE:
        return _metaspace_prefix(pre[0], warn)
    described = [*kinds, *(step.get("type") for step in pre)]
    raise ValueError(f"GGUF's SentencePiece vocabulary cannot apply this tokenizer's "
                     f"normalizer and pre-tokenizer ({described or 'none'}); it turns spaces "
                     "into ▁ and adds a leading one, nothing else")


def _splits_nothing(pre: list[dict]) -> bool:
    """Gemma's Split on " " runs after spaces became "▁", so it never splits."""
    return all(step.get("type") == "Split" and step.get("pattern") == {"String": " "} for step in pre)


def _metaspace_prefix(metaspace: dict, warn: list[str]) -> bool:
    scheme = metaspace.get("prepend_scheme")
    if scheme is None:  # files written before prepend_scheme
        scheme = "always" if metaspace.get("add_prefix_space", True) else "never"
    if metaspace.get("split", True):
        warn.append("this tokenizer splits text at every ▁ before joining pieces; llama.cpp "
                    "does not, so text with runs of spaces tokenizes differently there")
    if scheme == "never":
        return False
    warn.append("this tokenizer adds no ▁ to text that already starts with a space; llama.cpp "
                "(like SentencePiece) always adds one, so such text tokenizes differently there")
    if scheme == "first":
        warn.append("this tokenizer adds its leading ▁ only at the start of the text; llama.cpp "
                    "adds one after each special token too, so chat prompts may tokenize "
                    "differently there")
    return True


def _ranks(merges: list[str]) -> dict[str, int]:
    """Each merged token's best (lowest) merge rank."""
    ranks: dict[str, int] = {}
    for rank, merge in enumerate(merges):
        left, _, right = merge.partition(" ")
        ranks.setdefault(left + right, rank)
    return ranks


def _unlisted_pairs(vocab: dict[str, int], merges: list[str], normal: set[str]) -> list[str]:
    """Pairs of tokens whose joined text is a token but that no merge lists: llama.cpp joins
    them, this tokenizer does not."""
    listed = set(merges)
    unlisted = []
    for text in sorted(normal, key=vocab.__getitem__):
        for cut in range(1, len(text)):
            left, right = text[:cut], text[cut:]
            if left in normal and right in normal and f"{left} {right}" not in listed:
                unlisted.append(f"{left} {right}")
    return unlisted


def sentencepiece_vocabulary(tokenizer: dict, merges: list[str],
                             warn: list[str]) -> SentencePieceVocabulary:
    """The BPE-with-byte-fallback tokenizer.json `tokenizer` (its merges as "left right") as
    llama.cpp's SentencePiece vocabulary, or ValueError saying what llama.cpp cannot do."""
    model = tokenizer["model"]
    vocab: dict[str, int] = model["vocab"]
    if model.get("continuing_subword_prefix") or model.get("end_of_word_suffix"):
        raise ValueError("GGUF's SentencePiece vocabulary has no subword prefix or suffix")
    missing = [f"<0x{byte:02X}>" for byte in range(256) if f"<0x{byte:02X}>" not in vocab]
    if missing:
        raise ValueError(f"the tokenizer falls back to bytes but lacks {len(missing)} of the 256 "
                         f"byte tokens ({missing[0]} first); llama.cpp needs all of them")
    add_space_prefix = _prefix(tokenizer, warn)
    for text, token_id in vocab.items():
        if len(text) > MAX_TOKEN_LENGTH:
            raise ValueError(f"token {token_id} is {len(text)} characters long; GGUF export "
                             f"takes tokens of at most {MAX_TOKEN_LENGTH}")
    added = {token["content"] for token in tokenizer.get("added_tokens", [])}
    normal = {text for text in vocab if text not in added and not BYTE_TOKEN.fullmatch(text)}
    ranks = _ranks(merges)
    unlisted = _unlisted_pairs(vocab, merges, normal)
    if unlisted:
        warn.append(f"llama.cpp joins {len(unlisted)} pairs of tokens this tokenizer's merges do "
                    f"not list (first: {unlisted[0]!r}), so some texts tokenize differently there")
    tokens = {token_id: text for text, token_id in vocab.items()}
    scores = {token_id: -float(ranks[text]) if text in ranks else
              (UNREACHABLE if len(text) > 1 and text in normal else 0.0)
              for text, token_id in vocab.items()}
    types = {token_id: TokenType.BYTE if BYTE_TOKEN.fullmatch(text) else TokenType.NORMAL
             for text, token_id in vocab.items()}
    unknown = vocab.get(model["unk_token"]) if model.get("unk_token") is not None else None
    return SentencePieceVocabulary(tokens, scores, types, add_space_prefix, unknown)


def user_defined_text(added: dict) -> str:
    """A non-special added token as llama.cpp matches it: in the raw text, so one the tokenizer
    matches after turning spaces into "▁" (normalized) is written with spaces, as llama.cpp's
    converter does."""
    content = added["content"]
    return content.replace(SPACE, " ") if added.get("normalized", True) else content


def template_specials(tokenizer: dict) -> tuple[int | None, int | None]:
    """(first, last) special token ids a TemplateProcessing post-processor puts around a single
    text, as `tokenizer.encode` adds them (our engine's BOS, say); None where it adds none."""
    post = tokenizer.get("post_processor") or {}
    steps = post.get("processors", []) if isinstance(post, dict) and post.get("type") == "Sequence" else [post]
    template = next((step for step in steps if isinstance(step, dict)
                     and step.get("type") == "TemplateProcessing"), None)
    single = (template or {}).get("single")
    specials = (template or {}).get("special_tokens")
    if not isinstance(single, list) or not single or not isinstance(specials, dict):
        return None, None

    def special_id(piece) -> int | None:
        token = piece.get("SpecialToken") if isinstance(piece, dict) else None
        name = token.get("id") if isinstance(token, dict) else None
        entry = specials.get(name) if isinstance(name, str) else None
        ids = entry.get("ids") if isinstance(entry, dict) else None
        valid = isinstance(ids, list) and len(ids) == 1 and isinstance(ids[0], int)
        return ids[0] if valid and not isinstance(ids[0], bool) and ids[0] >= 0 else None

    return special_id(single[0]), special_id(single[-1]) if len(single) > 1 else None
