"""What the model is shown for a chat reply: one system message (personality, the user's
system prompt, retrieved document excerpts with numbered sources), then as many of the most
recent turns as fit the context with room left for the reply. Turns that do not fit are left
out oldest first, and the caller is told how many so the user sees it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ml.personality import ConfigPersonality

Messages = list[dict[str, str]]

SOURCES_INSTRUCTION = (
    "Answer using the numbered sources below when they are relevant, and cite them like [1]."
)


class PromptTooLong(ValueError):
    """Even the newest message alone does not fit the context."""


@dataclass
class Plan:
    messages: Messages
    dropped_turns: int = 0
    notice: str = ""
    citations: list[dict] = field(default_factory=list)
    sampling: dict = field(default_factory=dict)  # personality defaults under the user's own


def personality_settings(archetype: str) -> tuple[str, dict]:
    """(system prompt, sampling defaults) of an archetype; ("", {}) for none."""
    if not archetype:
        return "", {}
    persona = ConfigPersonality.from_archetype(archetype)
    defaults = dict(persona.generation_defaults())
    if "max_new_tokens" in defaults:
        defaults["max_tokens"] = defaults.pop("max_new_tokens")
    return persona.system_prompt(), defaults


def sources_block(chunks: Sequence) -> tuple[str, list[dict]]:
    """The excerpts as numbered sources, and the citations stored with the reply."""
    lines, citations = [SOURCES_INSTRUCTION], []
    for number, chunk in enumerate(chunks, start=1):
        lines.append(f"[{number}] {chunk.document_name} (part {chunk.chunk_index + 1}):\n"
                     f"{chunk.text.strip()}")
        citations.append({
            "source": number, "document_id": chunk.document_id,
            "document_name": chunk.document_name, "chunk_index": chunk.chunk_index,
            "score": round(chunk.score, 6),
        })
    return "\n\n".join(lines), citations


def system_message(parts: Sequence[str]) -> Messages:
    text = "\n\n".join(part.strip() for part in parts if part and part.strip())
    return [{"role": "system", "content": text}] if text else []


def _turns(history: Messages) -> list[Messages]:
    """History split into turns, each starting at a user message."""
    turns: list[Messages] = []
    for message in history:
        if message["role"] == "user" or not turns:
            turns.append([])
        turns[-1].append(message)
    return turns


def fit_history(system: Messages, history: Messages, *, count: Callable[[Messages], int],
                budget: int) -> tuple[Messages, int]:
    """(system + the newest turns whose prompt takes at most `budget` tokens, turns dropped).
    Token counts only grow with more turns, so the cut is found by binary search."""
    turns = _turns(history)

    def prompt(dropped: int) -> Messages:
        return system + [m for turn in turns[dropped:] for m in turn]

    last = len(turns) - 1
    if count(prompt(last)) > budget:
        raise PromptTooLong(
            f"the message is too long: with the system prompt it takes more than the {budget} "
            "tokens the model's context leaves after the reply; shorten it or lower max_tokens")
    low, high = 0, last  # the answer lies in [low, high]
    while low < high:
        middle = (low + high) // 2
        if count(prompt(middle)) <= budget:
            high = middle
        else:
            low = middle + 1
    return prompt(low), low


def dropped_notice(dropped: int, context: int, max_tokens: int) -> str:
    if not dropped:
        return ""
    turns = "turn was" if dropped == 1 else "turns were"
    return (f"{dropped} earlier {turns} left out: the conversation no longer fits the model's "
            f"{context}-token context with {max_tokens} tokens kept for the reply.")
