"""`sloughgpt chat FILE.sou` (interactive, streaming) and the `.sou` text generation command
`generate_command` (`sloughgpt run FILE.sou --prompt ...`), with the file's sampling defaults
overridable by flags. `--personality NAME|FILE.json` (an archetype, or a file written by
`persona create` or `Personality.save`) opens the chat with its system prompt and puts its
sampling defaults between the file's and the flags; its reply length, being a default, yields
to a long prompt in a small context."""

from __future__ import annotations

import argparse
import sys

SAMPLING_FLAGS = ("temperature", "top_k", "top_p", "min_p", "repetition_penalty", "max_tokens",
                  "seed")


def add_sampling_flags(parser: argparse.ArgumentParser) -> None:
    """Flags that override the file's sampling defaults (unset flags keep the file's)."""
    parser.add_argument("--temperature", type=float, help="0 picks the most likely token")
    parser.add_argument("--top-k", type=int, help="keep the k most likely tokens (0: all)")
    parser.add_argument("--top-p", type=float, help="nucleus sampling mass")
    parser.add_argument("--min-p", type=float, help="drop tokens below min-p x the top one")
    parser.add_argument("--repetition-penalty", type=float)
    parser.add_argument("--max-tokens", type=int)
    parser.add_argument("--stop", action="append", help="stop string (repeatable)")
    parser.add_argument("--seed", type=int, help="reproducible sampling")
    parser.add_argument("--steering-strength", type=float,
                        help="multiple of the file's personality steering vectors to add")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: cuda if available)")
    parser.add_argument("--context", type=int, dest="max_seq_len",
                        help="context length in tokens (default: the model's)")


PERSONALITY_HELP = "speak as this personality: an archetype name (sage, jester, ...), a " \
                   "personality JSON file, or a personality downloaded from the portal (zip or its folder)"


def register(subparsers) -> None:
    run = subparsers.add_parser("run", help="generate text from a .sou file")
    run.add_argument("file", metavar="FILE.sou")
    run.add_argument("--prompt", required=True)
    run.add_argument("--chat", action="store_true", help="send the prompt as a chat message")
    run.add_argument("--personality", metavar="NAME|FILE.json", help=f"{PERSONALITY_HELP}; implies --chat")
    add_sampling_flags(run)
    run.set_defaults(func=generate_command)

    chat = subparsers.add_parser("chat", help="chat with a .sou model in the terminal")
    chat.add_argument("file", metavar="FILE.sou")
    chat.add_argument("--system", help="system message that opens the conversation")
    chat.add_argument("--personality", metavar="NAME|FILE.json", help=PERSONALITY_HELP)
    add_sampling_flags(chat)
    chat.set_defaults(func=chat_command)


def _personality(args: argparse.Namespace) -> tuple[str, dict]:
    """(system prompt, sampling defaults) of --personality; ("", {}) without one."""
    if not args.personality:
        return "", {}
    from ml.personality import chat_settings
    from ml.personality.cli import resolve_personality

    return chat_settings(resolve_personality(args.personality))


def _settings(args: argparse.Namespace, defaults: dict) -> dict:
    """The personality's `defaults` under the flags the user set."""
    chosen = {key: getattr(args, key) for key in SAMPLING_FLAGS if getattr(args, key) is not None}
    settings = {**defaults, **chosen}
    if args.stop:
        settings["stop"] = args.stop
    if args.steering_strength is not None:
        settings["steering_strength"] = args.steering_strength
    return settings


def _system(*parts: str | None) -> list[dict]:
    text = "\n\n".join(part.strip() for part in parts if part and part.strip())
    return [{"role": "system", "content": text}] if text else []


def _load(args: argparse.Namespace):
    from ml.infer.engine import Engine

    return Engine.load(args.file, args.device, max_batch=1, max_seq_len=args.max_seq_len)


def _print_stream(deltas) -> str:
    """Write each delta as it arrives; returns the whole text."""
    parts = []
    for delta in deltas:
        sys.stdout.write(delta.text)
        sys.stdout.flush()
        parts.append(delta.text)
    sys.stdout.write("\n")
    return "".join(parts)


def generate_command(args: argparse.Namespace) -> int:
    """Print one continuation (or chat answer) of --prompt, streamed."""
    from ml.infer.engine import ContextLengthError, within_context
    from ml.sou import SouFormatError

    try:
        persona_prompt, defaults = _personality(args)
        engine = _load(args)
        chat = args.chat or bool(args.personality)
        prompt = [*_system(persona_prompt), {"role": "user", "content": args.prompt}] if chat else args.prompt
        deltas = within_context(engine.stream, prompt, chosen=args.max_tokens is not None,
                                **_settings(args, defaults))
        if not chat:
            sys.stdout.write(args.prompt)
        _print_stream(deltas)
    except (ContextLengthError, SouFormatError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def chat_command(args: argparse.Namespace) -> int:
    """Read a message per line, stream each answer; an empty line or end of input quits."""
    from ml.infer.engine import ContextLengthError, within_context
    from ml.sou import SouFormatError

    try:
        persona_prompt, defaults = _personality(args)
        engine = _load(args)
    except (SouFormatError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    messages = _system(persona_prompt, args.system)
    settings = _settings(args, defaults)
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            sys.stdout.write("> ")
            sys.stdout.flush()
        line = sys.stdin.readline()
        if not line.strip():
            return 0
        messages.append({"role": "user", "content": line.rstrip("\n")})
        try:
            answer = _print_stream(within_context(engine.stream, messages,
                                                  chosen=args.max_tokens is not None, **settings))
        except ContextLengthError as exc:
            print(f"error: {exc}; start a new chat", file=sys.stderr)
            return 1
        messages.append({"role": "assistant", "content": answer})
