"""The one error a hub pull raises, with the reason in the user's terms."""

from __future__ import annotations


class HubError(Exception):
    """A repo that cannot be pulled: not found, gated, refused token, missing file, too large,
    unsupported architecture, or a download that did not finish. `code` names the kind for
    callers that answer differently (the API's status, the CLI's exit code)."""

    def __init__(self, message: str, code: str = "hub_error"):
        super().__init__(message)
        self.code = code
