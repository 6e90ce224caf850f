"""Cards made for the user: one per fact of a document's knowledge graph ("Marie Curie
discovered ___" -> "polonium"), or one per answered question of a conversation. Each
generated card has a key made from what it says, so generating again adds only new cards.
A source with more than MAX_GENERATED_CARDS facts or answers is refused, not half-used: a
deck is studied card by card, and one click should not add a book's worth."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.chat.models import Conversation, Message
from apps.core.access import access_get
from apps.core.selectors import owned_get
from apps.knowledge.models import Relation
from apps.rag.models import Document

from .anki_import import MAX_FIELD_CHARS
from .models import Card, Deck

# A generated side longer than this is cut (with an ellipsis): a card is recalled at a glance.
GENERATED_SIDE_CHARS = 1000
BLANK = "___"
MAX_GENERATED_CARDS = 2000  # per generation (an Anki import takes up to 20,000 notes)


@dataclass(frozen=True)
class GenerationResult:
    created: int
    skipped: int  # already in the deck from an earlier generation


@dataclass(frozen=True)
class _Draft:
    front: str
    back: str
    key: str
    source: dict


def source_key(kind: str, *parts) -> str:
    """The key of a generated card: the same facts give the same key."""
    text = "\x1f".join([kind, *(str(part) for part in parts)])
    return hashlib.sha256(text.encode()).hexdigest()


def _trim(text: str) -> str:
    text = " ".join(text.split()) if "\n" not in text else text.strip()
    return text if len(text) <= GENERATED_SIDE_CHARS else text[:GENERATED_SIDE_CHARS - 1].rstrip() + "…"


def deck_generate_from_document(*, user, deck_id: int, document_id: int) -> GenerationResult:
    """One card per relation of a document the user can read."""
    owned_get(Deck, user=user, pk=deck_id)  # another user's deck is a 404 before anything else
    document = access_get(Document.objects.only("id", "name", "status", "owner_id", "collection_id"),
                          user=user, pk=document_id)
    if document.status != Document.Status.READY:
        raise ValidationError({"document_id": [f"{document.name} is still being processed; try again when it is ready."]})
    relations = Relation.objects.filter(chunk__document_id=document.pk)
    _check_count(relations.count(), field="document_id", source=document.name, items="facts in its graph")
    drafts = [_relation_draft(relation, document.pk) for relation in relations.select_related("subject", "object").only(
        "id", "predicate", "chunk_id", "sentence", "subject__name", "subject__normalized_name", "object__name",
        "object__normalized_name").order_by("id")]
    if not drafts:
        raise ValidationError({"document_id": [f"{document.name} has no facts in its knowledge graph to make cards from."]})
    return _add(user=user, deck_id=deck_id, drafts=drafts)


def _check_count(n: int, *, field: str, source: str, items: str) -> None:
    if n > MAX_GENERATED_CARDS:
        raise ValidationError({field: [f"{source} has {n} {items}; at most {MAX_GENERATED_CARDS} cards are "
                                       "generated at once."]})


def _relation_draft(relation: Relation, document_id: int) -> _Draft:
    subject, obj = relation.subject.name, relation.object.name
    return _Draft(
        front=_trim(f"{subject} {relation.predicate} {BLANK}"), back=_trim(obj),
        key=source_key("graph", document_id, relation.subject.normalized_name, relation.predicate,
                       relation.object.normalized_name),
        source={"kind": "graph", "ids": {"document_id": document_id, "relation_id": relation.pk,
                                         "chunk_id": relation.chunk_id},
                "sentence": relation.sentence[:MAX_FIELD_CHARS]},
    )


def deck_generate_from_conversation(*, user, deck_id: int, conversation_id: int) -> GenerationResult:
    """One card per finished answer of a conversation the user can read: the question the
    user asked on the front, the reply on the back."""
    owned_get(Deck, user=user, pk=deck_id)
    conversation = access_get(Conversation.objects.only("id", "owner_id"), user=user, pk=conversation_id)
    messages = Message.objects.filter(conversation=conversation)
    _check_count(messages.filter(role=Message.Role.ASSISTANT, status=Message.Status.DONE).count(),
                 field="conversation_id", source="The conversation", items="answers")
    messages = messages.order_by("id").only("id", "role", "content", "status")
    drafts, question = [], None
    for message in messages:
        if message.role == Message.Role.USER:
            question = message
        elif question is not None and message.status == Message.Status.DONE and message.content.strip():
            drafts.append(_Draft(
                front=_trim(question.content), back=_trim(message.content),
                key=source_key("conversation", message.pk),
                source={"kind": "conversation", "ids": {"conversation_id": conversation.pk, "message_id": message.pk}},
            ))
            question = None
    drafts = [draft for draft in drafts if draft.front]
    if not drafts:
        raise ValidationError({"conversation_id": ["The conversation has no answered questions to make cards from."]})
    return _add(user=user, deck_id=deck_id, drafts=drafts)


@transaction.atomic
def _add(*, user, deck_id: int, drafts: list[_Draft]) -> GenerationResult:
    # Locked, so two generations at once take turns and the second skips what the first added.
    deck = owned_get(Deck.objects.select_for_update(), user=user, pk=deck_id)
    present = set(Card.objects.filter(deck=deck, source_key__in=[draft.key for draft in drafts])
                  .values_list("source_key", flat=True))
    new, seen = [], set(present)
    for draft in drafts:
        if draft.key not in seen:
            seen.add(draft.key)
            new.append(Card(owner=user, deck=deck, kind=Card.Kind.BASIC, front=draft.front, back=draft.back,
                            source_key=draft.key, source=draft.source))
    Card.objects.bulk_create(new)
    return GenerationResult(created=len(new), skipped=len(drafts) - len(new))
