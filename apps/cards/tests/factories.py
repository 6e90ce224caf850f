"""Test data for spaced repetition: decks and cards made through the services, a
conversation with answered questions, and .apkg files built by hand."""

from __future__ import annotations

import io
import sqlite3
import tempfile
import zipfile
from pathlib import Path

from apps.cards.anki_export import ExportCard, write_apkg
from apps.cards.services import card_create, deck_create


def deck(user, name: str = "Chemistry", cards: tuple[tuple[str, str], ...] = ()):
    made = deck_create(user=user, name=name)
    for front, back in cards:
        card_create(user=user, deck_id=made.pk, front=front, back=back)
    return made


def answered_conversation(user, pairs: list[tuple[str, str]]):
    """A conversation whose user turns were each answered (status done)."""
    from apps.chat.models import Conversation, Message

    conversation = Conversation.objects.create(owner=user, title="study")
    for question, answer in pairs:
        Message.objects.create(owner=user, conversation=conversation, role=Message.Role.USER, content=question)
        Message.objects.create(owner=user, conversation=conversation, role=Message.Role.ASSISTANT, content=answer,
                               status=Message.Status.DONE)
    return conversation


def apkg(cards: list[tuple[str, str, str]], *, name: str = "Capitals") -> bytes:
    """An .apkg of (kind, front, back) notes, written by our exporter."""
    return write_apkg(deck_name=name, description="", cards=[
        ExportCard(guid=f"guid-{i}", kind=kind, front=front, back=back) for i, (kind, front, back) in enumerate(cards)])


def zip_of(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def collection_with(sql: str) -> bytes:
    """A SQLite file made by running `sql` (to shape a hostile collection)."""
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "c.anki2"
        connection = sqlite3.connect(path)
        connection.executescript(sql)
        connection.commit()
        connection.close()
        return path.read_bytes()


def collection_of(apkg_bytes: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(apkg_bytes)) as zf:
        return zf.read("collection.anki2")
