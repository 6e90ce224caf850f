"""Helpers for endpoints that take a file as the raw request body (streamed, never parsed)."""

from rest_framework.parsers import BaseParser


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


class RawBodyParser(BaseParser):
    """Accepts a file body of any content type without reading it, so the view can stream
    the request itself to disk (DRF would otherwise refuse a `text/plain` file with 415, or
    read it whole while checking CSRF)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return {}
