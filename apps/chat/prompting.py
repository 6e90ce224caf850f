"""What the model is shown for a chat reply: one system message (personality, the user's
system prompt, retrieved document excerpts with numbered sources), then as many of the most
recent turns as fit the context with room left for the reply. Turns that do not fit are left
out oldest first, and the caller is told how many so the user sees it. A reply length the user
chose is kept whole; a default one (the model file's or the personality's) yields to the
prompt, so a small model's default never makes its first message fail."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

Messages = list[dict[str, str]]

SOURCES_INSTRUCTION = (
    "Answer using the numbered sources below when they are relevant, and cite them like [1]."
)


class PromptTooLong(ValueError):
    """Even the newest message alone does not fit the context; `tokens` is what it takes."""

    def __init__(self, message: str, tokens: int = 0):
        super().__init__(message)
        self.tokens = tokens


@dataclass
class Plan:
    messages: Messages
    dropped_turns: int = 0
    notice: str = ""
    citations: list[dict] = field(default_factory=list)
    sampling: dict = field(default_factory=dict)  # personality defaults under the user's own


def sources_block(chunks: Sequence) -> tuple[str, list[dict]]:
    """The excerpts as numbered sources, and the citations stored with the reply."""
    lines, citations = [SOURCES_INSTRUCTION], []
    for number, chunk in enumerate(chunks, start=1):
        lines.append(f"[{number}] {chunk.document_name} (part {chunk.chunk_index + 1}):\n"
                     f"{chunk.text.strip()}")
        citation = {
            "source": number, "document_id": chunk.document_id,
            "document_name": chunk.document_name, "chunk_index": chunk.chunk_index,
            "score": round(chunk.score, 6),
        }
        if chunk.sentences:  # found through the knowledge graph: the sentences it used
            citation["sentences"] = [{"text": s.text, "start": s.start, "end": s.end}
                                     for s in chunk.sentences]
        citations.append(citation)
    return "\n\n".join(lines), citations


def system_message(parts: Sequence[str]) -> Messages:
    text = "\n\n".join(part.strip() for part in parts if part and part.strip())
    return [{"role": "system", "content": text}] if text else []


def with_system_prompt(messages: Messages, text: str) -> Messages:
    """`messages` with `text` opening their system message (one is added when none leads)."""
    if not text:
        return messages
    if messages and messages[0]["role"] == "system":
        return system_message([text, messages[0]["content"]]) + messages[1:]
    return system_message([text]) + messages


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
    newest = count(prompt(last))
    if newest > budget:
        raise PromptTooLong(f"the message is too long: with the system prompt it takes {newest} "
                            f"tokens, more than the {budget} there is room for", newest)
    low, high = 0, last  # the answer lies in [low, high]
    while low < high:
        middle = (low + high) // 2
        if count(prompt(middle)) <= budget:
            high = middle
        else:
            low = middle + 1
    return prompt(low), low


def fit_prompt(system: Messages, history: Messages, *, count: Callable[[Messages], int],
               context: int, max_tokens: int, chosen: bool) -> tuple[Messages, int, int]:
    """(system + the newest turns that fit, turns dropped, tokens for the reply) in a model of
    `context` tokens. A `max_tokens` the user `chosen` is kept and the prompt gets the rest. A
    default one keeps at most half the context while turns are fitted, then the reply gets
    what the prompt leaves, up to the default."""
    if chosen:
        if max_tokens >= context:
            raise PromptTooLong(f"max tokens is {max_tokens}, which leaves no room for the "
                                f"message in this model's {context}-token context; lower it "
                                f"below {context}")
        try:
            messages, dropped = fit_history(system, history, count=count,
                                            budget=context - max_tokens)
        except PromptTooLong as exc:
            raise PromptTooLong(
                f"the message is too long: with the system prompt it takes {exc.tokens} tokens, "
                f"and this model's {context}-token context keeps {max_tokens} for the reply "
                f"(max tokens), leaving {context - max_tokens}; shorten it or lower max tokens",
                exc.tokens) from None
        return messages, dropped, max_tokens
    reserve = min(max_tokens, context // 2)
    try:
        messages, dropped = fit_history(system, history, count=count, budget=context - reserve)
    except PromptTooLong as exc:
        # A message longer than half the context alone may still get a shorter reply.
        if exc.tokens >= context:
            raise PromptTooLong(
                f"the message is too long for this model: with the system prompt it takes "
                f"{exc.tokens} tokens, which fills its {context}-token context and leaves no room "
                "for a reply; shorten it", exc.tokens) from None
        turns = _turns(history)
        return system + turns[-1], len(turns) - 1, min(max_tokens, context - exc.tokens)
    if reserve == max_tokens:  # the prompt fitted in what the whole default leaves
        return messages, dropped, max_tokens
    return messages, dropped, min(max_tokens, context - count(messages))


def dropped_notice(dropped: int, context: int, max_tokens: int) -> str:
    if not dropped:
        return ""
    turns = "turn was" if dropped == 1 else "turns were"
    return (f"{dropped} earlier {turns} left out: the conversation no longer fits the model's "
            f"{context}-token context with {max_tokens} tokens kept for the reply.")
