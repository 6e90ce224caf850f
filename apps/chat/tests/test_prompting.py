"""What a chat reply is prompted with: the newest turns that fit (oldest dropped, with a
notice), a reply length that fits the model's context, personality prompts and settings, and
retrieved sources with numbered citations."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from apps.chat.prompting import (
    PromptTooLong,
    dropped_notice,
    fit_history,
    fit_prompt,
    sources_block,
    system_message,
)
from ml.personality import ConfigPersonality, chat_settings


def _count(messages):
    return sum(len(m["content"]) for m in messages)


HISTORY = [
    {"role": "user", "content": "a" * 10}, {"role": "assistant", "content": "b" * 10},
    {"role": "user", "content": "c" * 10}, {"role": "assistant", "content": "d" * 10},
    {"role": "user", "content": "e" * 10},
]
SYSTEM = [{"role": "system", "content": "s" * 5}]


@pytest.mark.parametrize("budget, dropped", [(100, 0), (45, 1), (34, 2), (15, 2)])
def test_the_oldest_turns_are_dropped_until_the_prompt_fits(budget, dropped):
    # when
    messages, left_out = fit_history(SYSTEM, HISTORY, count=_count, budget=budget)
    # then the system prompt and the newest turns stay, in order
    assert left_out == dropped
    assert messages[0] == SYSTEM[0] and messages[-1] == HISTORY[-1]
    assert messages[1:] == HISTORY[2 * dropped:]
    assert _count(messages) <= budget


def test_a_message_longer_than_the_context_is_an_error_not_a_truncation():
    with pytest.raises(PromptTooLong, match="too long"):
        fit_history(SYSTEM, HISTORY, count=_count, budget=14)


def test_a_default_reply_length_larger_than_a_small_context_yields_to_the_prompt():
    # given a 64-token context, a 256-token default and a short first message
    history = [{"role": "user", "content": "q" * 12}]
    # when
    messages, dropped, max_tokens = fit_prompt(SYSTEM, history, count=_count, context=64,
                                               max_tokens=256, chosen=False)
    # then the reply gets what the 17-token prompt leaves
    assert messages == SYSTEM + history and dropped == 0
    assert max_tokens == 64 - 17


def test_a_default_reply_length_keeps_half_a_small_context_from_the_history():
    # when the history would fill a 40-token context
    messages, dropped, max_tokens = fit_prompt(SYSTEM, HISTORY, count=_count, context=40,
                                               max_tokens=256, chosen=False)
    # then old turns go until the prompt takes at most half, and the reply gets the rest
    assert dropped == 2 and messages == SYSTEM + HISTORY[4:]
    assert max_tokens == 40 - 15


def test_a_default_reply_length_that_fits_is_kept():
    messages, dropped, max_tokens = fit_prompt(SYSTEM, HISTORY, count=_count, context=2048,
                                               max_tokens=256, chosen=False)
    assert dropped == 0 and max_tokens == 256


def test_a_message_longer_than_half_a_small_context_still_gets_a_shorter_reply():
    # given a message of 50 of the 64 tokens, after an earlier turn
    history = [*HISTORY[:2], {"role": "user", "content": "q" * 45}]
    # when
    messages, dropped, max_tokens = fit_prompt(SYSTEM, history, count=_count, context=64,
                                               max_tokens=256, chosen=False)
    # then
    assert messages == SYSTEM + history[2:] and dropped == 1 and max_tokens == 14


@pytest.mark.parametrize("chosen", [True, False])
def test_a_message_that_fills_the_context_says_so_without_a_negative_budget(chosen):
    # given a message as long as the whole context
    history = [{"role": "user", "content": "q" * 64}]
    # when
    with pytest.raises(PromptTooLong) as error:
        fit_prompt(SYSTEM, history, count=_count, context=64, max_tokens=32 if chosen else 256,
                   chosen=chosen)
    # then the user reads what the message takes and what the context holds
    message = str(error.value)
    assert "69 tokens" in message and "64-token context" in message
    assert "-" not in message.replace("64-token", "")


def test_a_chosen_reply_length_is_kept_and_the_history_cut_for_it():
    messages, dropped, max_tokens = fit_prompt(SYSTEM, HISTORY, count=_count, context=60,
                                               max_tokens=20, chosen=True)
    assert max_tokens == 20 and dropped == 1 and _count(messages) <= 40


def test_a_chosen_reply_length_as_long_as_the_context_is_refused_plainly():
    with pytest.raises(PromptTooLong, match="max tokens is 64, which leaves no room .* below 64"):
        fit_prompt(SYSTEM, HISTORY, count=_count, context=64, max_tokens=64, chosen=True)


def test_the_notice_says_how_many_turns_were_left_out():
    assert dropped_notice(0, 2048, 256) == ""
    assert dropped_notice(1, 2048, 256).startswith("1 earlier turn was left out")
    assert "3 earlier turns were left out" in dropped_notice(3, 2048, 256)
    assert "2048-token context" in dropped_notice(3, 2048, 256)


def test_a_personality_gives_its_system_prompt_and_sampling_defaults():
    # when
    prompt, settings = chat_settings(ConfigPersonality.from_archetype("Jester"))
    # then the reply length is named as the engine names it
    assert prompt.startswith("You are Jester")
    assert set(settings) >= {"temperature", "top_p", "max_tokens"}
    assert "max_new_tokens" not in settings
    assert chat_settings(None) == ("", {})


def test_sources_are_numbered_in_the_prompt_and_in_the_citations():
    # given
    chunks = [SimpleNamespace(document_id=7, document_name="sea.txt", chunk_index=2,
                              text="Whales sing. ", score=0.5, sentences=()),
              SimpleNamespace(document_id=9, document_name="fox.md", chunk_index=0,
                              text="Foxes jump.", score=0.25, sentences=())]
    # when
    block, citations = sources_block(chunks)
    system = system_message(["You are kind.", "", block])
    # then
    assert "[1] sea.txt (part 3):\nWhales sing." in block and "[2] fox.md (part 1)" in block
    assert citations[1] == {"source": 2, "document_id": 9, "document_name": "fox.md",
                            "chunk_index": 0, "score": 0.25}
    assert system[0]["content"].startswith("You are kind.\n\nAnswer using the numbered sources")
