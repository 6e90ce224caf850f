"""Writing a deck as an Anki `.apkg`: a zip holding `collection.anki2` (Anki's schema 11,
with its note types and decks as JSON in `col`) and an empty `media` map. Cards go out as
new cards in a "Basic" or "Cloze" note type; fields are our plain text as HTML."""

from __future__ import annotations

import hashlib
import html
import json
import re
import sqlite3
import tempfile
import time
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from .anki_import import FIELD_SEPARATOR

SCHEMA_VERSION = 11
BASIC_MODEL_ID = 1_700_000_000_001
CLOZE_MODEL_ID = 1_700_000_000_002
DEFAULT_DECK_ID = 1
EXPORT_DECK_ID = 1_700_000_000_100
CLOZE_NUMBER = re.compile(r"\{\{c(\d+)::")

SCHEMA = """
CREATE TABLE col (id integer primary key, crt integer not null, mod integer not null, scm integer not null,
    ver integer not null, dty integer not null, usn integer not null, ls integer not null, conf text not null,
    models text not null, decks text not null, dconf text not null, tags text not null);
CREATE TABLE notes (id integer primary key, guid text not null, mid integer not null, mod integer not null,
    usn integer not null, tags text not null, flds text not null, sfld integer not null, csum integer not null,
    flags integer not null, data text not null);
CREATE TABLE cards (id integer primary key, nid integer not null, did integer not null, ord integer not null,
    mod integer not null, usn integer not null, type integer not null, queue integer not null, due integer not null,
    ivl integer not null, factor integer not null, reps integer not null, lapses integer not null,
    left integer not null, odue integer not null, odid integer not null, flags integer not null,
    data text not null);
CREATE TABLE revlog (id integer primary key, cid integer not null, usn integer not null, ease integer not null,
    ivl integer not null, lastIvl integer not null, factor integer not null, time integer not null,
    type integer not null);
CREATE TABLE graves (usn integer not null, oid integer not null, type integer not null);
CREATE INDEX ix_notes_usn ON notes (usn);
CREATE INDEX ix_cards_usn ON cards (usn);
CREATE INDEX ix_revlog_usn ON revlog (usn);
CREATE INDEX ix_cards_nid ON cards (nid);
CREATE INDEX ix_cards_sched ON cards (did, queue, due);
CREATE INDEX ix_revlog_cid ON revlog (cid);
CREATE INDEX ix_notes_csum ON notes (csum);
"""


@dataclass(frozen=True)
class ExportCard:
    guid: str
    kind: str  # "basic" or "cloze"
    front: str
    back: str


def write_apkg(*, deck_name: str, description: str, cards: list[ExportCard]) -> bytes:
    """The .apkg bytes of one deck."""
    with tempfile.TemporaryDirectory(prefix="apkg-") as workdir:
        path = Path(workdir) / "collection.anki2"
        _write_collection(path, deck_name=deck_name, description=description, cards=cards)
        buffer = BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.write(path, "collection.anki2")
            zf.writestr("media", "{}")
        return buffer.getvalue()


def _write_collection(path: Path, *, deck_name: str, description: str, cards: list[ExportCard]) -> None:
    now = int(time.time())
    connection = sqlite3.connect(path)
    try:
        connection.executescript(SCHEMA)
        connection.execute(
            "INSERT INTO col VALUES (1, ?, ?, ?, ?, 0, 0, 0, ?, ?, ?, ?, '{}')",
            (now - now % 86400, now * 1000, now * 1000, SCHEMA_VERSION, json.dumps(_conf()),
             json.dumps(_models(now)), json.dumps(_decks(now, deck_name, description)), json.dumps(_dconf())),
        )
        base_id = now * 1000
        for position, card in enumerate(cards):
            note_id = base_id + position
            first = _field_html(card.front)
            connection.execute(
                "INSERT INTO notes VALUES (?, ?, ?, ?, -1, '', ?, ?, ?, 0, '')",
                (note_id, card.guid, CLOZE_MODEL_ID if card.kind == "cloze" else BASIC_MODEL_ID, now,
                 first + FIELD_SEPARATOR + _field_html(card.back), card.front, _checksum(card.front)),
            )
            for ordinal in _card_ordinals(card):
                # A new card (type 0, queue 0) whose due is its position among new cards.
                connection.execute(
                    "INSERT INTO cards VALUES (?, ?, ?, ?, ?, -1, 0, 0, ?, 0, 0, 0, 0, 0, 0, 0, 0, '')",
                    (note_id * 100 + ordinal, note_id, EXPORT_DECK_ID, ordinal, now, position + 1),
                )
        connection.commit()
    finally:
        connection.close()


def _card_ordinals(card: ExportCard) -> list[int]:
    """Anki makes one card per cloze number (c1 -> ordinal 0); a basic note has one card."""
    if card.kind != "cloze":
        return [0]
    return sorted({int(number) - 1 for number in CLOZE_NUMBER.findall(card.front) if int(number) >= 1}) or [0]


def _field_html(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br>")


def _checksum(text: str) -> int:
    """Anki's duplicate check: the first 8 hex digits of the sort field's SHA-1, as a number."""
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)


def _field(name: str, ordinal: int) -> dict:
    return {"name": name, "ord": ordinal, "sticky": False, "rtl": False, "font": "Arial", "size": 20, "media": []}


def _template(name: str, question: str, answer: str) -> dict:
    return {"name": name, "ord": 0, "qfmt": question, "afmt": answer, "bqfmt": "", "bafmt": "", "did": None,
            "bfont": "", "bsize": 0}


def _model(model_id: int, now: int, *, cloze: bool) -> dict:
    if cloze:
        fields = [_field("Text", 0), _field("Back Extra", 1)]
        template = _template("Cloze", "{{cloze:Text}}", "{{cloze:Text}}<br>\n{{Back Extra}}")
    else:
        fields = [_field("Front", 0), _field("Back", 1)]
        template = _template("Card 1", "{{Front}}", "{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}}")
    return {
        "id": model_id, "name": "Cloze" if cloze else "Basic", "type": 1 if cloze else 0, "mod": now, "usn": -1,
        "sortf": 0, "did": EXPORT_DECK_ID, "tmpls": [template], "flds": fields, "tags": [], "vers": [],
        "css": ".card { font-family: arial; font-size: 20px; text-align: center; }\n.cloze { font-weight: bold; }",
        "latexPre": "\\documentclass[12pt]{article}\n\\begin{document}\n", "latexPost": "\\end{document}",
        "latexsvg": False, "req": [[0, "any", [0]]],
    }


def _models(now: int) -> dict:
    return {str(BASIC_MODEL_ID): _model(BASIC_MODEL_ID, now, cloze=False),
            str(CLOZE_MODEL_ID): _model(CLOZE_MODEL_ID, now, cloze=True)}


def _deck(deck_id: int, name: str, description: str, now: int) -> dict:
    return {"id": deck_id, "name": name, "desc": description, "mod": now, "usn": -1, "collapsed": False,
            "browserCollapsed": False, "newToday": [0, 0], "revToday": [0, 0], "lrnToday": [0, 0],
            "timeToday": [0, 0], "dyn": 0, "conf": 1, "extendNew": 0, "extendRev": 0}


def _decks(now: int, name: str, description: str) -> dict:
    return {str(DEFAULT_DECK_ID): _deck(DEFAULT_DECK_ID, "Default", "", now),
            str(EXPORT_DECK_ID): _deck(EXPORT_DECK_ID, name, description, now)}


def _dconf() -> dict:
    return {"1": {"id": 1, "name": "Default", "mod": 0, "usn": 0, "maxTaken": 60, "autoplay": True, "timer": 0,
                  "replayq": True, "dyn": False,
                  "new": {"delays": [1, 10], "ints": [1, 4, 7], "initialFactor": 2500, "order": 1, "perDay": 20,
                          "bury": True},
                  "rev": {"perDay": 200, "ease4": 1.3, "ivlFct": 1, "maxIvl": 36500, "bury": True, "hardFactor": 1.2},
                  "lapse": {"delays": [10], "mult": 0, "minInt": 1, "leechFails": 8, "leechAction": 1}}}


def _conf() -> dict:
    return {"nextPos": 1, "estTimes": True, "activeDecks": [EXPORT_DECK_ID], "sortType": "noteFld",
            "timeLim": 0, "sortBackwards": False, "addToCur": True, "curDeck": EXPORT_DECK_ID, "newSpread": 0,
            "dueCounts": True, "curModel": str(BASIC_MODEL_ID), "collapseTime": 1200, "schedVer": 2}
