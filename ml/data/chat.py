"""Chat templates: turning a prompt/response pair into the text a chat model was trained on.

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


def split_pair(template: str, prompt: str, response: str, **tokens: str) -> tuple[str, str]:
    """(text before the response, the response with its end-of-turn markup).

    The loss is taken on the second part only, so the model learns to answer, not to ask.
    """
    user = [{"role": "user", "content": prompt}]
    head = render_chat(template, user, add_generation_prompt=True, **tokens)
    full = render_chat(template, user + [{"role": "assistant", "content": response}], **tokens)
    if not full.startswith(head):
        raise ChatTemplateError("the chat template's generation prompt is not a prefix of the chat")
    return head, full[len(head) :]
