"""The one error a malformed dataset raises, naming the file and line of the bad record."""

from __future__ import annotations


class DataFormatError(ValueError):
    """A record that cannot be read: `file` and 1-based `line` say where, `message` what."""

    def __init__(self, file: str, line: int, message: str):
        self.file = file
        self.line = line
        self.message = message
        super().__init__(f"{file}:{line}: {message}")

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "message": self.message}
