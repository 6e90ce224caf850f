"""Reading an Anki `.apkg` deck safely: a zip holding a SQLite collection (`collection.anki2`
or `collection.anki21`, schema 11). Nothing in it is ever executed or trusted:

- the zip is checked by apps.core.archives (no absolute paths, `..` or links; caps on
  entries, expanded size and compression ratio), and only the collection file is extracted;
- the collection is opened read-only from our own temporary copy (`mode=ro`, `query_only`,
  `trusted_schema=OFF`, so no view or trigger can call a function), with a budget of
  SQLite steps; `notes` and `col` must be plain tables with Anki's columns;
- counts and sizes are checked before anything is read whole; fields become plain text
  (HTML stripped, media references dropped), cloze deletions `{{c1::...}}` kept.

Every refusal is one AnkiError whose message names what is wrong in the user's file."""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from apps.core.archives import ArchiveError, extract_zip_safely
from apps.core.html_text import html_text

from .models import CLOZE_DELETION

APKG_MAX_BYTES = 64 * 1024 * 1024  # the upload itself
APKG_MAX_EXPANDED_BYTES = 256 * 1024 * 1024  # every entry expanded, media included
COLLECTION_MAX_BYTES = 64 * 1024 * 1024  # the SQLite file
MAX_NOTES = 20_000
MAX_NOTE_CHARS = 20_000  # all fields of one note, as stored (HTML)
MAX_FIELD_CHARS = 10_000  # one card side, as text
MAX_JSON_CHARS = 4 * 1024 * 1024  # the `models` and `decks` JSON in `col`
# SQLite virtual-machine steps, in thousands, that reading one collection may take: far
# more than reading MAX_NOTES notes needs, far less than a crafted query plan could burn.
MAX_SQLITE_KILOSTEPS = 200_000
COLLECTION_NAMES = ("collection.anki21", "collection.anki2")  # newest first
ZSTD_COLLECTION = "collection.anki21b"
REQUIRED_COLUMNS = {
    "col": {"id", "models", "decks"},
    "notes": {"id", "guid", "mid", "flds"},
    "cards": {"id", "nid", "did", "ord"},
}
CLOZE_MODEL_TYPE = 1
FIELD_SEPARATOR = "\x1f"
MEDIA_REFERENCE = re.compile(r"\[sound:[^\]]*\]")


class AnkiError(Exception):
    """An .apkg that is refused; the message says why, in terms of the user's file."""


@dataclass(frozen=True)
class AnkiNote:
    guid: str
    kind: str  # "basic" or "cloze" (apps.cards.models.Card.Kind)
    front: str
    back: str


@dataclass(frozen=True)
class AnkiDeck:
    name: str
    notes: list[AnkiNote]


def read_apkg(path: Path, *, filename: str) -> AnkiDeck:
    """The notes of the .apkg at `path` (a file we stored), or AnkiError."""
    with tempfile.TemporaryDirectory(prefix="apkg-") as workdir:
        collection = _extract_collection(path, Path(workdir), filename=filename)
        return _read_collection(collection, fallback_name=Path(filename).stem or "Imported deck")


def _extract_collection(path: Path, workdir: Path, *, filename: str) -> Path:
    try:
        with zipfile.ZipFile(path) as zf:
            sizes = {info.filename: info.file_size for info in zf.infolist()}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise AnkiError(f"{filename} is not an .apkg file (not a zip archive).") from None
    # Anki's newer exports also hold a collection.anki2, only to tell older versions to update.
    if ZSTD_COLLECTION in sizes:
        raise AnkiError(f"{filename} uses Anki's newer compressed format (anki21b), which is not "
                        "supported: export it again from Anki with \"Support older Anki versions\" ticked.")
    name = next((candidate for candidate in COLLECTION_NAMES if candidate in sizes), None)
    if name is None:
        raise AnkiError(f"{filename} holds no Anki collection (collection.anki2).")
    if sizes[name] > COLLECTION_MAX_BYTES:
        raise AnkiError(f"{filename}: the collection expands to {sizes[name]} bytes; at most {COLLECTION_MAX_BYTES}.")
    try:
        extract_zip_safely(path, workdir, frozenset({Path(name).suffix}), max_expanded_bytes=APKG_MAX_EXPANDED_BYTES)
    except ArchiveError as exc:
        raise AnkiError(f"{filename}: {exc}") from None
    return workdir / name


def _read_collection(path: Path, *, fallback_name: str) -> AnkiDeck:
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        raise AnkiError("The collection inside the .apkg cannot be opened.") from None
    steps = iter(range(MAX_SQLITE_KILOSTEPS))
    # Called every 1,000 steps; a non-zero answer interrupts the statement.
    connection.set_progress_handler(lambda: next(steps, None) is None, 1000)
    try:
        connection.execute("PRAGMA trusted_schema = OFF")
        connection.execute("PRAGMA query_only = ON")
        if connection.execute("PRAGMA quick_check").fetchone() != ("ok",):
            raise AnkiError("The collection inside the .apkg is corrupt.")
        _check_tables(connection)
        models, decks = _col_json(connection)
        notes = _notes(connection, models)
        name = _deck_name(connection, decks) or fallback_name
    except sqlite3.Error as exc:
        raise AnkiError(f"The collection inside the .apkg cannot be read ({_sqlite_reason(exc)}).") from None
    finally:
        connection.close()
    if not notes:
        raise AnkiError("The deck holds no notes.")
    return AnkiDeck(name=name[:200], notes=notes)


def _sqlite_reason(exc: sqlite3.Error) -> str:
    # SQLite's messages name no server path ("file is not a database", "interrupted").
    return "it is too costly to read" if isinstance(exc, sqlite3.OperationalError) and "interrupt" in str(exc) \
        else str(exc)


def _check_tables(connection: sqlite3.Connection) -> None:
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table, columns in REQUIRED_COLUMNS.items():
        if table not in tables:
            raise AnkiError(f"The collection has no `{table}` table; it is not an Anki collection.")
        present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if missing := columns - present:
            raise AnkiError(f"The collection's `{table}` table lacks {', '.join(sorted(missing))}.")


def _col_json(connection: sqlite3.Connection) -> tuple[dict, dict]:
    row = connection.execute("SELECT length(models), length(decks) FROM col LIMIT 1").fetchone()
    if row is None:
        raise AnkiError("The collection's `col` table is empty.")
    if max(row[0] or 0, row[1] or 0) > MAX_JSON_CHARS:
        raise AnkiError(f"The collection's note types or decks are larger than {MAX_JSON_CHARS} characters.")
    models_text, decks_text = connection.execute("SELECT models, decks FROM col LIMIT 1").fetchone()
    try:
        models, decks = json.loads(models_text or "{}"), json.loads(decks_text or "{}")
    except (TypeError, ValueError, RecursionError):
        raise AnkiError("The collection's note types or decks are not valid JSON.") from None
    if not isinstance(models, dict) or not isinstance(decks, dict):
        raise AnkiError("The collection's note types or decks are not valid JSON objects.")
    return models, decks


def _notes(connection: sqlite3.Connection, models: dict) -> list[AnkiNote]:
    count = connection.execute("SELECT count(*) FROM notes").fetchone()[0]
    if count > MAX_NOTES:
        raise AnkiError(f"The deck has {count} notes; at most {MAX_NOTES} are imported at once.")
    huge = connection.execute("SELECT id, length(CAST(flds AS BLOB)) FROM notes WHERE length(CAST(flds AS BLOB)) > ?"
                              " LIMIT 1", (MAX_NOTE_CHARS,)).fetchone()
    if huge is not None:
        raise AnkiError(f"Note {huge[0]} has {huge[1]} bytes of fields; at most {MAX_NOTE_CHARS}.")
    notes = []
    for note_id, guid, model_id, fields in connection.execute("SELECT id, guid, mid, flds FROM notes ORDER BY id"):
        model = models.get(str(model_id))
        cloze = isinstance(model, dict) and model.get("type") == CLOZE_MODEL_TYPE
        texts = [_field_text(field) for field in _text(fields).split(FIELD_SEPARATOR)]
        front, back = texts[0], "\n".join(text for text in texts[1:] if text)
        if not front:
            continue  # a note with an empty first field shows nothing to recall
        if len(front) > MAX_FIELD_CHARS or len(back) > MAX_FIELD_CHARS:
            raise AnkiError(f"Note {note_id} has a side longer than {MAX_FIELD_CHARS} characters.")
        kind = "cloze" if cloze and CLOZE_DELETION.search(front) else "basic"
        notes.append(AnkiNote(guid=_text(guid)[:64], kind=kind, front=front, back=back))
    return notes


def _text(value) -> str:
    """A column as text without NUL (which PostgreSQL cannot store), whatever type SQLite kept."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value if value is not None else "").replace("\x00", "")


def _field_text(field: str) -> str:
    text = html_text(MEDIA_REFERENCE.sub("", field))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _deck_name(connection: sqlite3.Connection, decks: dict) -> str | None:
    """The name of the deck most of the cards are in (Anki's own "Default" deck last)."""
    row = connection.execute("SELECT did FROM cards GROUP BY did ORDER BY did = 1, count(*) DESC LIMIT 1").fetchone()
    deck = decks.get(str(row[0])) if row else None
    name = deck.get("name") if isinstance(deck, dict) else None
    if not isinstance(name, str):
        return None
    return " ".join(_text(name).replace("\x1f", "::").split()) or None
