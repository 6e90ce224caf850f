"""`sloughgpt run` and `sloughgpt chat` with `--personality`, as a user runs them: the model is
asked as the personality (its system prompt opens the chat, its sampling under the user's
flags), from an archetype name or a saved personality file."""

from __future__ import annotations

import copy
import io

import pytest

from ml.cli import main
from ml.infer.engine import Engine
from ml.personality import ConfigPersonality, load_personality
from tests.ml.infer.factories import sou_file

CONTEXT = 512  # holds an archetype's prompt, not its default reply length as well


@pytest.fixture(scope="module")
def llama_sou(tmp_path_factory):
    return sou_file(tmp_path_factory.mktemp("llama-512"), "llama", max_position_embeddings=CONTEXT)


@pytest.fixture
def asked(monkeypatch):
    """What each generation was asked: (prompt, settings)."""
    calls: list[tuple] = []
    real = Engine.request

    def request(self, prompt, **settings):
        calls.append((copy.deepcopy(prompt), dict(settings)))  # chat appends to its list later
        return real(self, prompt, **settings)

    monkeypatch.setattr(Engine, "request", request)
    return calls


def test_run_as_an_archetype_sends_its_prompt_and_sampling(llama_sou, asked, capsys):
    # given
    sage = ConfigPersonality.from_archetype("sage")
    # when
    code = main(["run", str(llama_sou), "--prompt", "What is the sea?", "--personality", "sage",
                 "--temperature", "0", "--max-tokens", "3", "--device", "cpu"])
    # then the question goes as a chat message after the sage's system prompt
    assert code == 0 and capsys.readouterr().err == ""
    prompt, settings = asked[-1]
    assert prompt == [{"role": "system", "content": sage.system_prompt()},
                      {"role": "user", "content": "What is the sea?"}]
    assert settings["top_p"] == sage.generation_defaults()["top_p"]
    assert (settings["temperature"], settings["max_tokens"]) == (0, 3)  # the flags win


def test_chat_with_a_personality_file_opens_with_its_prompt_and_the_system_message(
        llama_sou, asked, tmp_path, monkeypatch, capsys):
    # given a personality saved to a file, and two lines typed
    saved = ConfigPersonality("Captain", {**ConfigPersonality.from_archetype("hero").traits,
                                          "humour": 0.9}, "a sea captain").save(tmp_path / "captain.json")
    monkeypatch.setattr("sys.stdin", io.StringIO("Ahoy\n\n"))
    # when
    code = main(["chat", str(llama_sou), "--personality", str(saved), "--system", "Answer briefly.",
                 "--max-tokens", "3", "--device", "cpu"])
    # then the captain's prompt comes first, the user's system message after it
    assert code == 0
    prompt, settings = asked[-1]
    captain = load_personality(saved)
    assert prompt == [{"role": "system", "content": f"{captain.system_prompt()}\n\nAnswer briefly."},
                      {"role": "user", "content": "Ahoy"}]
    assert settings["temperature"] == captain.generation_defaults()["temperature"]


def test_the_personalitys_reply_length_yields_to_a_small_context(llama_sou, asked, capsys):
    # given the sage's prompt and default reply length, more than the model's context
    assert ConfigPersonality.from_archetype("sage").generation_defaults()["max_new_tokens"] > CONTEXT / 2
    # when
    code = main(["run", str(llama_sou), "--prompt", "Hi", "--personality", "sage", "--device", "cpu"])
    # then it answers with what the context leaves instead of failing
    assert code == 0 and capsys.readouterr().err == ""
    asked_first, answered_with = asked[0][1]["max_tokens"], asked[-1][1]["max_tokens"]
    assert asked_first > answered_with > 0


def test_an_unknown_personality_is_a_clean_error_before_the_model_loads(tmp_path, capsys):
    # when
    code = main(["chat", str(tmp_path / "missing.sou"), "--personality", "pirate king"])
    missing_file = main(["run", str(tmp_path / "missing.sou"), "--prompt", "Hi",
                         "--personality", str(tmp_path / "nope.json")])
    # then
    err = capsys.readouterr().err
    assert code == 1 and "error: unknown archetype 'pirate king'; known: Sage" in err
    assert missing_file == 1 and "nope.json" in err
