"""The ids a running generation is known by (its stop flag's key): a chat reply's, an
OpenAI-compatible request's and an arena battle side's. Their own module, so the services that start a generation and
the worker that runs it both name it without importing each other."""

from __future__ import annotations


def generation_id(message_id: int) -> str:
    """The id stop flags use for a chat reply."""
    return f"message-{int(message_id)}"


def api_generation_id(request_id: str) -> str:
    """The id stop flags use for an OpenAI-compatible request."""
    return f"api-{request_id}"


def battle_generation_id(reply_id: int) -> str:
    """The id stop flags use for one side of an arena battle."""
    return f"battle-{int(reply_id)}"
