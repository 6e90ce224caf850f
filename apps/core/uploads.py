"""Helpers for endpoints that take a file as the raw request body (streamed, never parsed)."""


def request_content_length(request) -> int | None:
    """The declared body size; None when the client sent none (a chunked upload), -1 when
    the header is not a number."""
    length = request.META.get("CONTENT_LENGTH")
    if length is None:
        return None
    try:
        return int(length or 0)
    except ValueError:
        return -1
