"""Plain text out of an uploaded file, by format: UTF-8 text and Markdown as they are, HTML
through the standard library's parser with scripts and styles dropped (nothing is ever run),
PDF through pypdf. Every refusal raises ExtractionError with a reason a person can act on."""

from __future__ import annotations

import logging
from pathlib import Path

from apps.core.html_text import html_text
from apps.core.user_paths import hide_server_paths

from .models import Document

# The client's file name decides the format; the content is then checked to match it.
SUFFIX_FORMATS = {
    ".txt": Document.Format.TXT,
    ".text": Document.Format.TXT,
    ".md": Document.Format.MD,
    ".markdown": Document.Format.MD,
    ".html": Document.Format.HTML,
    ".htm": Document.Format.HTML,
    ".pdf": Document.Format.PDF,
}
MAX_TEXT_CHARS = 2_000_000  # about 1,000 pages: bounds chunking and embedding time per file
MAX_PDF_PAGES = 2_000  # a page tree can claim any count; refuse before walking it
# pypdf logs every defect it repairs; whether text came out is what the uploader hears.
logging.getLogger("pypdf").setLevel(logging.ERROR)


class ExtractionError(Exception):
    """The file cannot become text; the message says why."""


def format_for(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIX_FORMATS:
        allowed = ", ".join(sorted(SUFFIX_FORMATS))
        shown = suffix or "no extension"
        raise ExtractionError(f"unsupported file type ({shown}); upload one of {allowed}")
    return SUFFIX_FORMATS[suffix]


def extract_text(path: Path, fmt: str) -> str:
    if path.stat().st_size == 0:
        raise ExtractionError("the file is empty")
    if fmt == Document.Format.PDF:
        text = _pdf_text(path)
    else:
        text = _decode(path.read_bytes())
        if fmt == Document.Format.HTML:
            text = html_text(text)
    text = text.strip()
    if not text:
        raise ExtractionError("the file contains no text")
    if len(text) > MAX_TEXT_CHARS:
        raise ExtractionError(
            f"the file holds {len(text)} characters of text; the limit is {MAX_TEXT_CHARS}"
        )
    return text


def _decode(data: bytes) -> str:
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ExtractionError(f"a NUL byte at offset {nul}: this looks like a binary file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExtractionError(f"not UTF-8 text: invalid byte at offset {exc.start}") from None


def _pdf_text(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(1024)
    if b"%PDF-" not in head:
        raise ExtractionError("not a PDF file: no %PDF- header in the first 1024 bytes")
    from pypdf import PdfReader

    # A parser of untrusted bytes fails in many ways; any failure is the file's, so every
    # exception becomes a 400 that names it instead of a 500 (with any path in its message cut
    # to the file's name: the parser reads the stored file, which lies under MEDIA_ROOT).
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise ExtractionError("the PDF is encrypted; upload an unprotected copy")
        count = len(reader.pages)
    except ExtractionError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ExtractionError(f"could not read the PDF: {hide_server_paths(str(exc))}") from None
    if count > MAX_PDF_PAGES:
        raise ExtractionError(f"the PDF has {count} pages; the limit is {MAX_PDF_PAGES}")
    pages = []
    for number in range(count):
        try:
            pages.append(reader.pages[number].extract_text() or "")
        except Exception as exc:  # noqa: BLE001
            message = hide_server_paths(str(exc))
            raise ExtractionError(f"could not read page {number + 1} of the PDF: {message}") from None
    if not any(page.strip() for page in pages):
        raise ExtractionError("the PDF has no extractable text (is it a scanned image?)")
    return "\n\n".join(pages)
