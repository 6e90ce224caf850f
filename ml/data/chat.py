"""Chat templates: turning a conversation into the text a chat model was trained on, and
finding the assistant turns in it (the tokens a fine-tune learns).

Templates are the Jinja strings HF models ship (`chat_template`), rendered in a sandbox since
they come with user-supplied models. Models trained here from scratch get `DEFAULT_CHAT_TEMPLATE`.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

# Literal text is emitted through {{ }} so trim_blocks (on, as in transformers) eats no newline.
DEFAULT_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\\n' + message['content'] }}"
    "{% if message['role'] == 'assistant' %}{{ '<|endoftext|>' }}{% endif %}"
    "{{ '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)


class ChatTemplateError(ValueError):
    """A template that fails to render, or whose prompt is not a prefix of the full chat."""


def _raise(message: str) -> None:
    raise TemplateError(message)


@lru_cache(maxsize=8)
def _compile(template: str):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = _raise
    return env.from_string(template)


def render_chat(
    template: str,
    messages: list[dict[str, str]],
    add_generation_prompt: bool = False,
    bos_token: str = "",
    eos_token: str = "",
) -> str:
    try:
        return _compile(template).render(
            messages=messages,
            add_generation_prompt=add_generation_prompt,
            bos_token=bos_token,
            eos_token=eos_token,
        )
    except TemplateError as exc:
        raise ChatTemplateError(f"chat template failed: {exc}") from exc


def split_chat(
    template: str, messages: list[dict[str, str]], **tokens: str
) -> list[tuple[str, bool]]:
    """The rendered chat as consecutive pieces (text, is_assistant_turn).

    Each assistant turn is found as the difference between the chat rendered up to it with a
    generation prompt and rendered through it, so it includes its end-of-turn markup (the model
    learns to stop) and the loss can be taken on it alone: the model learns to answer, not to ask.
    """
    pieces: list[tuple[str, bool]] = []
    done = ""
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        head = render_chat(template, messages[:i], add_generation_prompt=True, **tokens)
        full = render_chat(template, messages[: i + 1], **tokens)
        if not head.startswith(done) or not full.startswith(head):
            raise ChatTemplateError(
                "the chat template does not render each turn as a prefix of the next"
            )
        pieces += [(head[len(done) :], False), (full[len(head) :], True)]
        done = full
    whole = render_chat(template, messages, **tokens)
    if not whole.startswith(done):
        raise ChatTemplateError(
            "the chat template does not render each turn as a prefix of the next"
        )
    if len(whole) > len(done):
        pieces.append((whole[len(done) :], False))
    return [(text, target) for text, target in pieces if text]
