"""From sampled token ids to streamed text: incremental detokenization that never emits half a
character, and stop strings that are cut off even when they arrive split over tokens."""

from __future__ import annotations

from tokenizers import Tokenizer

REPLACEMENT = "\ufffd"  # what a decoder yields for the bytes of an unfinished UTF-8 character


class IncrementalDecoder:
    """Turns one token at a time into the text it adds.

    Decoding a token alone is wrong for byte-level vocabularies (an emoji can span four tokens)
    and for tokenizers that strip a leading space, so each step decodes a short window of
    recent tokens twice, with and without the new one, and emits the difference once it no
    longer ends in an unfinished character.
    """

    def __init__(self, tokenizer: Tokenizer):
        self.tokenizer = tokenizer
        self.ids: list[int] = []
        self.prefix_offset = 0  # window start: decoding from here gives stable text
        self.read_offset = 0  # tokens before this have been emitted

    def push(self, token_id: int) -> str:
        self.ids.append(token_id)
        window = self.ids[self.prefix_offset:]
        before = self.tokenizer.decode(self.ids[self.prefix_offset:self.read_offset],
                                       skip_special_tokens=False)
        after = self.tokenizer.decode(window, skip_special_tokens=False)
        if len(after) <= len(before) or after.endswith(REPLACEMENT):
            return ""  # the new bytes do not finish a character yet
        self.prefix_offset = self.read_offset
        self.read_offset = len(self.ids)
        return after[len(before):]

    def flush(self) -> str:
        """Whatever is still held back (an unfinished character decodes as U+FFFD)."""
        before = self.tokenizer.decode(self.ids[self.prefix_offset:self.read_offset],
                                       skip_special_tokens=False)
        after = self.tokenizer.decode(self.ids[self.prefix_offset:], skip_special_tokens=False)
        self.prefix_offset = self.read_offset = len(self.ids)
        return after[len(before):]


class StopStrings:
    """Holds back text that could be the start of a stop string until it is known not to be.

    `push(text)` returns (text safe to emit, whether a stop string was reached); at a stop the
    text before it is emitted and the stop string itself never is.
    """

    def __init__(self, stops: list[str] | tuple[str, ...]):
        self.stops = [s for s in stops if s]
        self.pending = ""

    def push(self, text: str) -> tuple[str, bool]:
        if not self.stops:
            return text, False
        self.pending += text
        cut = min((i for i in (self.pending.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            safe, self.pending = self.pending[:cut], ""
            return safe, True
        hold = self._held_suffix()
        safe = self.pending[:len(self.pending) - hold]
        self.pending = self.pending[len(self.pending) - hold:]
        return safe, False

    def flush(self) -> str:
        text, self.pending = self.pending, ""
        return text

    def _held_suffix(self) -> int:
        """Length of the longest end of `pending` that begins some stop string."""
        for size in range(min(len(self.pending), max(map(len, self.stops)) - 1), 0, -1):
            tail = self.pending[-size:]
            if any(s.startswith(tail) for s in self.stops):
                return size
        return 0
