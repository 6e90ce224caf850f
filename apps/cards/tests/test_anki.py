"""Anki decks: an export opens as Anki's .apkg (a zip holding collection.anki2, schema 11)
and imports back as the same cards; hostile files are refused with the reason and leave
nothing behind."""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
import warnings
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.cards.models import Card, Deck

from .factories import apkg, collection_of, collection_with, deck, zip_of

pytestmark = pytest.mark.django_db
IMPORT = "/api/v1/decks/import/"


def _import(client, content: bytes, name: str = "deck.apkg"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, content)}, format="multipart")


def _read_collection(content: bytes) -> dict:
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "c.anki2"
        path.write_bytes(collection_of(content))
        connection = sqlite3.connect(path)
        try:
            ver, models, decks = connection.execute("SELECT ver, models, decks FROM col").fetchone()
            notes = connection.execute("SELECT flds, mid FROM notes ORDER BY id").fetchall()
            cards = connection.execute("SELECT nid, ord, did, type, queue FROM cards ORDER BY id").fetchall()
        finally:
            connection.close()
    return {"ver": ver, "models": json.loads(models), "decks": json.loads(decks), "notes": notes, "cards": cards}


def test_an_exported_deck_is_an_anki_collection_and_imports_back_as_the_same_cards(make_user, api_client_for):
    # given a deck with a basic card holding markup-like text and a cloze card of two deletions
    user = make_user()
    client = api_client_for(user)
    made = deck(user, name="Capitals & Rivers", cards=(("Is 1 < 2?\nSay why.", "Yes & always"),))
    client.post(f"/api/v1/decks/{made.pk}/cards/",
                {"kind": "cloze", "front": "{{c1::Paris}} lies on the {{c2::Seine}}.", "back": "France"}, format="json")
    # when it is exported and imported again
    exported = client.get(f"/api/v1/decks/{made.pk}/export/")
    content = b"".join(exported.streaming_content) if exported.streaming else exported.content
    imported = _import(client, content, name="Capitals & Rivers.apkg")
    # then the file is Anki's: schema 11, Basic and Cloze note types, one card per cloze number
    assert exported["Content-Disposition"].startswith("attachment;")
    collection = _read_collection(content)
    assert collection["ver"] == 11
    assert sorted(model["name"] for model in collection["models"].values()) == ["Basic", "Cloze"]
    assert "Capitals & Rivers" in [d["name"] for d in collection["decks"].values()]
    assert collection["notes"][0][0] == "Is 1 &lt; 2?<br>Say why.\x1fYes &amp; always"
    assert [(ordinal, queue) for _, ordinal, _, _, queue in collection["cards"]] == [(0, 0), (0, 0), (1, 0)]
    # and it comes back as the same deck
    assert imported.status_code == 201, imported.json()
    assert (imported.json()["name"], imported.json()["card_count"]) == ("Capitals & Rivers", 2)
    cards = Card.objects.filter(deck_id=imported.json()["id"]).order_by("id")
    assert [(c.kind, c.front, c.back, c.source["kind"]) for c in cards] == [
        ("basic", "Is 1 < 2?\nSay why.", "Yes & always", "anki"),
        ("cloze", "{{c1::Paris}} lies on the {{c2::Seine}}.", "France", "anki")]


def test_anki_markup_becomes_text_and_media_references_are_dropped(make_user, api_client_for):
    # given an Anki note with HTML, an image, a sound and a script
    user = make_user()
    content = apkg([("basic", "x", "y")])
    sql = ("UPDATE notes SET flds = '<div>Largest <b>planet</b>?</div><img src=\"a.png\"><script>alert(1)</script>'"
           " || char(31) || 'Jupiter [sound:j.mp3]&nbsp;'")
    content = _rewrite_collection(content, sql)
    # when
    response = _import(api_client_for(user), content)
    # then
    card = Card.objects.get(deck_id=response.json()["id"])
    assert (card.front, card.back) == ("Largest planet?", "Jupiter")


def _rewrite_collection(content: bytes, sql: str) -> bytes:
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "c.anki2"
        path.write_bytes(collection_of(content))
        connection = sqlite3.connect(path)
        connection.executescript(sql)
        connection.commit()
        connection.close()
        return zip_of({"collection.anki2": path.read_bytes(), "media": b"{}"})


def test_nul_characters_in_names_and_fields_are_dropped(make_user, api_client_for):
    # given an Anki deck whose deck name, note id and fields hold NUL (PostgreSQL stores no NUL)
    user = make_user()
    content = _rewrite_collection(apkg([("basic", "x", "y")]), (
        "UPDATE notes SET guid = 'g' || char(0) || 'h', flds = 'Cap' || char(0) || 'ital?' || char(31) || 'Lima';"
        "UPDATE col SET decks = replace(decks, '\"Capitals\"', '\"Capi\\u0000tals\"');"))
    # when
    response = _import(api_client_for(user), content)
    # then
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "Capitals"
    card = Card.objects.get(deck_id=response.json()["id"])
    assert (card.front, card.back, card.source["ids"]["guid"]) == ("Capital?", "Lima", "gh")


def _damaged(kind: str, collection: bytes) -> bytes:
    """A one-entry .apkg whose bytes were altered after writing, as a broken or crafted file is."""
    name = "collection.anki2"
    compression = zipfile.ZIP_DEFLATED if kind == "corrupt deflate" else zipfile.ZIP_STORED
    data = bytearray(zip_of({name: collection}, compression=compression))
    central = data.rfind(b"PK\x01\x02")
    body = 30 + len(name)  # the local header, then the entry's bytes
    if kind == "bad crc":
        data[body + 100] ^= 0xFF
    elif kind == "encrypted entry":
        data[6] |= 1
        data[central + 8] |= 1
    elif kind == "unknown compression":
        data[8] = data[central + 10] = 97
    elif kind == "corrupt deflate":
        data[body + 5:body + 40] = b"\xff" * 35
    return bytes(data)


def _hostile(kind: str) -> bytes:
    good = apkg([("basic", "Capital of Peru?", "Lima")])
    if kind in ("bad crc", "encrypted entry", "unknown compression", "corrupt deflate"):
        return _damaged(kind, collection_of(good))
    if kind == "an entry twice":
        buffer = io.BytesIO()
        with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as zf:
            warnings.simplefilter("ignore")  # zipfile warns of the duplicate it is told to write
            zf.writestr("collection.anki2", collection_of(good))
            zf.writestr("collection.anki2", b"not the collection")
        return buffer.getvalue()
    if kind == "not a zip":
        return b"PK\x03\x04 this is not really a zip"
    if kind == "zip bomb":
        return zip_of({"collection.anki2": b"\0" * (8 * 1024 * 1024)})
    if kind == "path traversal":
        return zip_of({"collection.anki2": collection_of(good), "../../escape.anki2": b"x"})
    if kind == "corrupt sqlite":
        return zip_of({"collection.anki2": b"SQLite format 3\0" + bytes(range(256)) * 16})
    if kind == "huge field":
        return _rewrite_collection(good, f"UPDATE notes SET flds = '{'x' * 30_000}' || char(31) || 'y'")
    if kind == "a view for a table":
        return _rewrite_collection(good, "DROP TABLE notes; CREATE VIEW notes AS SELECT 1 AS id, 'g' AS guid,"
                                         " 1 AS mid, 'f' AS flds")
    if kind == "deeply nested json":
        return _rewrite_collection(good, f"UPDATE col SET decks = '{'[' * 100_000}{']' * 100_000}'")
    if kind == "not anki":
        return zip_of({"collection.anki2": collection_with("CREATE TABLE things (id integer)")})
    if kind == "anki21b":
        return zip_of({"collection.anki21b": b"(zstd)", "meta": b"\x08\x03"})
    raise AssertionError(kind)


@pytest.mark.parametrize(("kind", "reason"), [
    ("not a zip", "not an .apkg file"),
    ("zip bomb", "suspicious compression ratio"),
    ("path traversal", "unsafe path in archive"),
    ("corrupt sqlite", "cannot be read"),
    ("huge field", "bytes of fields; at most"),
    ("a view for a table", "no `notes` table"),
    ("deeply nested json", "not valid JSON"),
    ("not anki", "not an Anki collection"),
    ("anki21b", "Support older Anki versions"),
    ("bad crc", "'collection.anki2' cannot be read"),
    ("encrypted entry", "'collection.anki2' is encrypted"),
    ("unknown compression", "'collection.anki2' cannot be read"),
    ("corrupt deflate", "'collection.anki2' cannot be read"),
    ("an entry twice", "holds 'collection.anki2' twice"),
])
def test_a_hostile_apkg_is_refused_with_the_reason_and_nothing_is_imported(kind, reason, make_user, api_client_for):
    # given
    user = make_user()
    # when
    response = _import(api_client_for(user), _hostile(kind), name="shared.apkg")
    # then
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["file"][0]
    assert reason in message
    assert "/tmp" not in message
    assert not Deck.objects.filter(owner=user).exists()
    assert not Card.objects.filter(owner=user).exists()


def test_too_many_notes_are_refused_before_any_is_imported(make_user, api_client_for, monkeypatch):
    # given a cap below the deck's size
    monkeypatch.setattr("apps.cards.anki_import.MAX_NOTES", 2)
    user = make_user()
    content = apkg([("basic", f"Q{i}", f"A{i}") for i in range(3)])
    # when
    response = _import(api_client_for(user), content)
    # then
    assert response.status_code == 400
    assert "3 notes; at most 2" in response.json()["error"]["message"]
    assert not Deck.objects.filter(owner=user).exists()


def test_an_export_holds_only_a_collection_and_an_empty_media_map(make_user, api_client_for):
    # given
    user = make_user()
    made = deck(user, cards=(("Q", "A"),))
    # when
    response = api_client_for(user).get(f"/api/v1/decks/{made.pk}/export/")
    # then
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        assert sorted(zf.namelist()) == ["collection.anki2", "media"]
        assert zf.read("media") == b"{}"
    assert response["X-Content-Type-Options"] == "nosniff"


DATA = Path(__file__).parent / "data"


def test_a_deck_exported_by_anki_imports_as_text_with_its_cloze_deletions(make_user, api_client_for):
    # given an .apkg Anki wrote ("Support older Anki versions"), with markup, an image and a cloze note
    user = make_user()
    content = (DATA / "made-by-anki-legacy.apkg").read_bytes()
    # when
    response = _import(api_client_for(user), content, name="Europe.apkg")
    # then
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "Geography::Europe"
    cards = Card.objects.filter(deck_id=response.json()["id"]).order_by("id")
    assert [(c.kind, c.front, c.back) for c in cards] == [
        ("basic", "Capital of Italy?", "Rome"),
        ("cloze", "The {{c1::Danube}} flows into the {{c2::Black Sea}}.", "Europe's second-longest river")]


def test_a_deck_in_ankis_newer_format_is_refused_rather_than_read_from_its_placeholder(make_user, api_client_for):
    # given an .apkg in Anki's newer format: its collection.anki2 only asks to update Anki
    user = make_user()
    content = (DATA / "made-by-anki-latest.apkg").read_bytes()
    # when
    response = _import(api_client_for(user), content, name="Europe.apkg")
    # then
    assert response.status_code == 400
    assert "Support older Anki versions" in response.json()["error"]["message"]
    assert not Deck.objects.filter(owner=user).exists()


def test_an_import_failing_while_its_cards_are_written_leaves_no_deck(make_user, monkeypatch):
    # given a valid deck, and a database that fails once the deck row is written
    from django.db import DataError

    from apps.cards.services import deck_import

    user = make_user()
    content = apkg([("basic", "Capital of Peru?", "Lima"), ("basic", "Capital of Chile?", "Santiago")])

    def failing(*args, **kwargs):
        raise DataError("value too long")

    monkeypatch.setattr(Card.objects, "bulk_create", failing)
    # when
    with pytest.raises(DataError):
        deck_import(user=user, uploaded=SimpleUploadedFile("deck.apkg", content))
    # then
    assert not Deck.objects.filter(owner=user).exists()
