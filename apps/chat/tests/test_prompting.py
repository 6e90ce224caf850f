"""What a chat reply is prompted with: the newest turns that fit (oldest dropped, with a
notice), personality prompts and settings, and retrieved sources with numbered citations."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from apps.chat.prompting import (
    PromptTooLong,
    dropped_notice,
    fit_history,
    personality_settings,
    sources_block,
    system_message,
)


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


def test_the_notice_says_how_many_turns_were_left_out():
    assert dropped_notice(0, 2048, 256) == ""
    assert dropped_notice(1, 2048, 256).startswith("1 earlier turn was left out")
    assert "3 earlier turns were left out" in dropped_notice(3, 2048, 256)
    assert "2048-token context" in dropped_notice(3, 2048, 256)


def test_an_archetype_gives_its_system_prompt_and_sampling_defaults():
    # when
    prompt, settings = personality_settings("Jester")
    # then
    assert prompt.startswith("You are Jester")
    assert set(settings) >= {"temperature", "top_p", "max_tokens"}
    assert personality_settings("") == ("", {})


def test_sources_are_numbered_in_the_prompt_and_in_the_citations():
    # given
    chunks = [SimpleNamespace(document_id=7, document_name="sea.txt", chunk_index=2,
                              text="Whales sing. ", score=0.5),
              SimpleNamespace(document_id=9, document_name="fox.md", chunk_index=0,
                              text="Foxes jump.", score=0.25)]
    # when
    block, citations = sources_block(chunks)
    system = system_message(["You are kind.", "", block])
    # then
    assert "[1] sea.txt (part 3):\nWhales sing." in block and "[2] fox.md (part 1)" in block
    assert citations[1] == {"source": 2, "document_id": 9, "document_name": "fox.md",
                            "chunk_index": 0, "score": 0.25}
    assert system[0]["content"].startswith("You are kind.\n\nAnswer using the numbered sources")
