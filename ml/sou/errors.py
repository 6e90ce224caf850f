"""The errors of the `.sou` format: one type for a malformed file, one for misuse of the writer."""

from __future__ import annotations


class SouFormatError(ValueError):
    """A `.sou` file (or data about to be written into one) breaks the specification.

    `field` names what is wrong (e.g. "metadata_length", "tensor[3].offset") and `offset` is the
    byte offset in the file where that field starts, so a user can look at the bytes themselves.
    """

    def __init__(self, field: str, offset: int, message: str, *, path: str | None = None):
        self.field = field
        self.offset = offset
        self.message = message
        self.path = path
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{field} at byte {offset}: {message}")

    def with_path(self, path: str) -> SouFormatError:
        """The same error, naming the file it was found in."""
        return SouFormatError(self.field, self.offset, self.message, path=path)


class SouWriterStateError(RuntimeError):
    """A `SouWriter` method was called in the wrong order (e.g. a tensor before the header)."""
