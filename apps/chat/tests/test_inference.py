"""Streaming one request's text (`run_generation`) with a scripted engine: when text goes
out, what the result reports, and stopping."""

from __future__ import annotations

from ml.infer.scheduler import Delta


class _Stream:
    def __init__(self, texts: list[str]):
        self.texts, self.cancelled = texts, False

    def __iter__(self):
        for count, text in enumerate(self.texts, start=1):
            yield Delta(text, count, "length" if count == len(self.texts) else None, count)

    def cancel(self):
        self.cancelled = True


class _Engine:
    def __init__(self, texts: list[str]):
        self.stream = _Stream(texts)

    def submit(self, request):
        return self.stream


class _Request:
    prompt_ids = (1, 2, 3)


def _run(texts: list[str], *, batch_s: float, stop_after: int | None = None):
    from apps.chat.inference import run_generation

    sent: list[str] = []
    result = run_generation(
        _Engine(texts), _Request(), requested_at=0.0, on_text=sent.append,
        should_stop=lambda: stop_after is not None and len(sent) >= stop_after, batch_s=batch_s)
    return sent, result


def test_the_first_text_goes_out_at_once_even_when_the_first_token_adds_none():
    # given a first token that is only part of a character, and batches an hour apart
    texts = ["", "été", " was", " long", "."]
    # when
    sent, result = _run(texts, batch_s=3600)
    # then the first visible text is not held for the batch; the rest comes at the end
    assert sent == ["été", " was long."]
    assert result.text == "été was long." and result.completion_tokens == 5
    assert result.finish_reason == "length"


def test_unbatched_text_goes_out_per_token_and_a_stop_cancels():
    # given
    texts = ["a", "b", "c", "d", "e"]
    # when the stop comes after the second piece of text
    sent, result = _run(texts, batch_s=0.0, stop_after=2)
    # then
    assert sent == ["a", "b"]
    assert result.finish_reason == "cancelled" and result.text == "ab"
