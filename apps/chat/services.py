"""Writes for chat, called by the REST API and the chat socket: conversations (create,
update, delete), asking for replies (send, regenerate, edit and resend, stop), feedback on
replies, and exporting that feedback as a dataset (prompt/response pairs, or preference
pairs: preferences.py). Asking for a reply takes a quota lease and
creates the queued assistant message; the inference worker (generation.py) does the rest."""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.exceptions import NotFound

from apps.core.access import Action, access_get, access_queryset, access_scope
from apps.endpoints.selectors import RemoteModel, endpoint_list, remote_model_get
from apps.monitoring.rollups import feedback_count
from apps.personalities.models import PersonalityVersion
from apps.personalities.selectors import personality_get, personality_get_by_name
from apps.rag.models import Collection
from apps.registry.models import ModelVersion
from apps.registry.selectors import version_sou_key

from . import redis_state
from .conversation_lock import LockedConversation, locked_conversation
from .ids import generation_id
from .models import SETTINGS_FIELDS, Conversation, Message
from .preferences import feedback_preferences, nothing_to_export, records_dataset_create
from .quotas import quota_acquire, quota_release
from .realtime import message_payload, publish_chat_events
from .tasks import chat_reply_inference_task

MAX_MESSAGE_CHARS = 32_000
TITLE_CHARS = 60


# -- conversations ------------------------------------------------------------------------------
def _check_model(*, user, model_version_id: int, qtype: str) -> ModelVersion:
    """A ready version the user can read: chatting with a model shared with them is reading it."""
    version = access_get(ModelVersion, user=user, pk=model_version_id)
    if version.status != ModelVersion.Status.READY:
        message = f"model version {version} is {version.status}, not ready"
        raise ValidationError({"model_version_id": [message]})
    if qtype:
        try:
            version_sou_key(version, qtype)
        except NotFound as exc:
            raise ValidationError({"qtype": [str(exc.detail)]}) from None
    return version


def personality_version_choose(*, user, personality: int | str) -> PersonalityVersion:
    """The current version of a personality named by id (int) or by name (str): a built-in,
    the user's own or one shared with them; any other is NotFound, one not ready a
    ValidationError."""
    if isinstance(personality, int):
        chosen = personality_get(user=user, personality_id=personality)
    else:
        chosen = personality_get_by_name(user=user, name=personality)
    version = chosen.current_version
    if version is None or version.status != PersonalityVersion.Status.READY:
        state = version.status if version else "without a version"
        raise ValidationError(f"personality {chosen.name!r} is {state}; choose it once it is ready")
    return version


def _personality_version(*, user, personality_id: int | None = None,
                         personality: str | None = None) -> PersonalityVersion | None:
    """The version a conversation's `personality_id` (another user's is NotFound) or, as
    older clients send it, `personality` name (unknown is a 400 on that field) picks; None
    when neither names one."""
    if personality_id is not None and personality:
        raise ValidationError({"personality_id": ["give personality_id or personality, not both"]})
    field, ref = ("personality_id", personality_id) if personality_id is not None else ("personality", personality)
    if not ref:
        return None
    try:
        return personality_version_choose(user=user, personality=ref)
    except NotFound as exc:
        if field == "personality_id":
            raise
        raise ValidationError({field: [str(exc.detail)]}) from None
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


def _personality_change(changes: dict) -> dict | None:
    """The personality arguments among `changes` (popped), or None when it is not changed."""
    if "personality_id" not in changes and "personality" not in changes:
        return None
    return {"personality_id": changes.pop("personality_id", None),
            "personality": changes.pop("personality", None)}


def _check_max_tokens(version: ModelVersion | None, max_tokens: int | None) -> None:
    context = (version.architecture or {}).get("block_size") if version else None
    if max_tokens is not None and isinstance(context, int) and max_tokens >= context:
        message = f"must be below the model's context of {context} tokens, so the prompt has room"
        raise ValidationError({"max_tokens": [message]})


def _collections(*, user, collection_ids: Iterable[int]) -> list[Collection]:
    """Collections the user can read, to retrieve from."""
    wanted = list(dict.fromkeys(int(pk) for pk in collection_ids))
    found = {c.pk: c for c in access_queryset(Collection, user=user).filter(pk__in=wanted)}
    for pk in wanted:
        if pk not in found:
            raise NotFound(f"No collection with id {pk}.")
    return [found[pk] for pk in wanted]


def _check_remote(*, user, remote_endpoint_id: int, remote_model: str) -> RemoteModel:
    """A model of the user's own endpoint (another user's is NotFound: endpoints are never
    shared, so no one else's key answers)."""
    if not remote_model:
        raise ValidationError({"remote_model": ["name the endpoint's model to talk to"]})
    return remote_model_get(user=user, endpoint_id=remote_endpoint_id, model=remote_model)


def _one_model(model_version_id: int | None, remote_endpoint_id: int | None) -> None:
    if (model_version_id is None) == (remote_endpoint_id is None):
        raise ValidationError({"model_version_id": ["choose a model version or a remote model (remote_endpoint_id "
                                                    "and remote_model), exactly one"]})


@transaction.atomic
def conversation_create(*, user, model_version_id: int | None = None, remote_endpoint_id: int | None = None,
                        remote_model: str = "", title: str = "", qtype: str = "",
                        personality_id: int | None = None, personality: str = "",
                        system_prompt: str = "", collection_ids: Iterable[int] = (),
                        retrieval_mode: str = Conversation.RetrievalMode.HYBRID, **settings) -> Conversation:
    """A conversation with a model version, or with a model of one of the user's remote
    endpoints; `personality_id` (or a `personality` name, the older form) picks the
    personality whose current version its replies speak as."""
    _one_model(model_version_id, remote_endpoint_id)
    version, remote = None, None
    if model_version_id is not None:
        version = _check_model(user=user, model_version_id=model_version_id, qtype=qtype)
    else:
        remote = _check_remote(user=user, remote_endpoint_id=remote_endpoint_id, remote_model=remote_model)
    _check_max_tokens(version, settings.get("max_tokens"))
    persona = _personality_version(user=user, personality_id=personality_id, personality=personality)
    collections = _collections(user=user, collection_ids=collection_ids)
    conversation = Conversation.objects.create(
        owner=user, model_version=version, title=title.strip(), qtype=qtype if version else "",
        remote_endpoint=remote.endpoint if remote else None, remote_model=remote.model if remote else "",
        personality_version=persona, system_prompt=system_prompt, retrieval_mode=retrieval_mode,
        **{key: settings.get(key) for key in SETTINGS_FIELDS},
    )
    conversation.collections.set(collections)
    return conversation


@transaction.atomic
def conversation_update(*, user, conversation_id: int, **changes) -> Conversation:
    """Rename, or change the model (a version, or a remote model), personality (its current
    version; null or "" for none), system prompt, sampling or collections; the next reply
    uses the new settings. Only its owner may: one shared with the user answers 403."""
    conversation = access_get(Conversation.objects.select_for_update(), user=user, pk=conversation_id,
                              action=Action.EDIT)
    if changes.get("remote_endpoint_id") is not None:
        _one_model(changes.pop("model_version_id", None), changes["remote_endpoint_id"])
        remote = _check_remote(user=user, remote_endpoint_id=changes.pop("remote_endpoint_id"),
                               remote_model=changes.pop("remote_model", ""))
        changes.pop("qtype", None)
        conversation.model_version, conversation.qtype = None, ""
        conversation.remote_endpoint, conversation.remote_model = remote.endpoint, remote.model
    changes.pop("remote_endpoint_id", None)
    changes.pop("remote_model", None)
    if conversation.remote_endpoint_id is not None and changes.get("model_version_id") is None:
        changes.pop("model_version_id", None)  # a remote model stays until a version is chosen
        changes.pop("qtype", None)
    if "model_version_id" in changes or "qtype" in changes:
        version_id = changes.pop("model_version_id", conversation.model_version_id)
        if version_id is None:
            raise ValidationError({"model_version_id": ["the conversation's model was deleted; choose one"]})
        qtype = changes.pop("qtype", conversation.qtype)
        conversation.model_version = _check_model(user=user, model_version_id=version_id, qtype=qtype)
        conversation.qtype = qtype
        conversation.remote_endpoint, conversation.remote_model = None, ""
    persona = _personality_change(changes)
    if persona is not None:
        conversation.personality_version = _personality_version(user=user, **persona)
    if "collection_ids" in changes:
        conversation.collections.set(_collections(user=user, collection_ids=changes.pop("collection_ids")))
    if "title" in changes:
        conversation.title = changes.pop("title").strip()
    for key in ("system_prompt", "retrieval_mode", *SETTINGS_FIELDS):
        if key in changes:
            setattr(conversation, key, changes.pop(key))
    _check_max_tokens(conversation.model_version, conversation.max_tokens)
    conversation.save()
    return conversation


@transaction.atomic
def conversation_delete(*, user, conversation_id: int) -> None:
    conversation = access_get(Conversation, user=user, pk=conversation_id, action=Action.DELETE)
    # A running reply stops at its next batch; its worker then finds no row to store into.
    for pk in conversation.messages.filter(status=Message.Status.QUEUED).values_list("pk", flat=True):
        redis_state.stop_request(generation_id(pk))
    conversation.delete()


# -- replies ------------------------------------------------------------------------------------
def check_content(content: str, field: str = "content") -> str:
    if not isinstance(content, str) or not content.strip():
        raise ValidationError({field: ["write a message first"]})
    if len(content) > MAX_MESSAGE_CHARS:
        message = f"the message has {len(content)} characters; the limit is {MAX_MESSAGE_CHARS}"
        raise ValidationError({field: [message]})
    return content


def check_idle(locked: LockedConversation) -> Conversation:
    """The locked conversation when nothing is being generated in it: one reply or one
    comparison at a time, which the quota and the conversation's history both assume."""
    if locked.replying:
        raise ValidationError({"content": ["a reply is still being generated; stop it or wait"]})
    if locked.comparing:
        raise ValidationError({"content": ["a comparison is still being answered; stop it or wait"]})
    return locked.conversation


def _publish_on_commit(conversation_id: int, events: list[dict]) -> None:
    # Live updates are best effort (the rows are stored); all of them go in one send.
    transaction.on_commit(lambda: publish_chat_events(conversation_id, events), robust=True)


def _start_reply(conversation: Conversation, *before: Message,
                 rejected_texts: list[str] | None = None) -> Message:
    """The queued assistant message, holding a quota lease; it is inserted together with the
    unsaved messages `before` it, in one statement (each gets its id)."""
    if conversation.model_version_id is None and conversation.remote_endpoint_id is None:
        raise ValidationError({"model_version_id": ["the conversation's model was deleted; choose one"]})
    lease = quota_acquire(user_id=conversation.owner_id, want_tokens=conversation.max_tokens)
    try:
        reply = Message(
            owner_id=conversation.owner_id, conversation=conversation,
            role=Message.Role.ASSISTANT, status=Message.Status.QUEUED, quota_lease=lease.to_dict(),
            rejected_texts=rejected_texts or [],
        )
        Message.objects.bulk_create([*before, reply])
    except BaseException:
        quota_release(lease, used_tokens=0)
        raise
    return reply


def _locked(*, user, conversation_id: int) -> LockedConversation:
    """The user's conversation, locked for a reply (`locked_conversation`), once its model and
    collections are still theirs to read: every request for a reply asks again, so once a
    model or collection is no longer shared with them the next one answers 404 naming it,
    before anything else, rather than a reply from something they can no longer see."""
    locked = locked_conversation(user=user, conversation_id=conversation_id)
    conversation = locked.conversation
    model_id = conversation.model_version_id
    if model_id is not None and not access_queryset(ModelVersion, user=user).filter(pk=model_id).exists():
        raise NotFound(f"No model version with id {model_id}.")
    endpoint_id = conversation.remote_endpoint_id
    if endpoint_id is not None and not endpoint_list(user=user).filter(pk=endpoint_id).exists():
        raise NotFound(f"No remote endpoint with id {endpoint_id}.")  # its key is its owner's alone
    unreadable = conversation.collections.exclude(pk__in=access_queryset(Collection, user=user).values("pk"))
    missing = unreadable.values_list("pk", flat=True).first()
    if missing is not None:
        raise NotFound(f"No collection with id {missing}.")
    return locked


def _after_commit(conversation: Conversation, events: list[dict], reply: Message,
                  **changes) -> None:
    """Touch the conversation (with any other `changes` to its fields); once committed, tell
    the sockets first (a new title too, so lists showing the conversation rename it live),
    then enqueue, so no delta arrives before its message."""
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now(), **changes)
    events = events + [{"type": "message", "message": message_payload(reply)}]
    if "title" in changes:
        events.append({"type": "title", "conversation_id": conversation.pk, "title": changes["title"]})
    _publish_on_commit(conversation.pk, events)
    # The send time goes with the task: the reply's trace shows how long it waited in the queue.
    transaction.on_commit(lambda: chat_reply_inference_task.delay(reply.pk, queued_at=time.time()))


@transaction.atomic
def message_send(*, user, conversation_id: int, content: str) -> tuple[Message, Message]:
    """The user's message and the queued reply to it."""
    check_content(content)
    conversation = check_idle(_locked(user=user, conversation_id=conversation_id))
    message = Message(owner=user, conversation=conversation, role=Message.Role.USER, content=content)
    reply = _start_reply(conversation, message)
    # A new conversation is named after its first message.
    title = {} if conversation.title else {"title": " ".join(content.split())[:TITLE_CHARS]}
    _after_commit(conversation, [{"type": "message", "message": message_payload(message)}], reply,
                  **title)
    return message, reply


@transaction.atomic
def message_regenerate(*, user, conversation_id: int) -> tuple[list[int], Message]:
    """A new reply to the last user message; the previous reply (if any) is dropped.
    Returns (removed message ids, the queued reply)."""
    conversation = check_idle(_locked(user=user, conversation_id=conversation_id))
    last_user = conversation.messages.filter(role=Message.Role.USER).order_by("-id").first()
    if last_user is None:
        raise ValidationError({"type": ["there is no message to answer yet"]})
    return _replace_after(conversation, last_user, [], regenerating=True)


def _rejected_by_user(answer: Message | None) -> list[str]:
    """What the reply replacing `answer` (the reply to the same question) inherits as
    rejected: the texts `answer` inherited, and its own when it got a thumbs down."""
    if answer is None:
        return []
    own = [answer.content] if answer.feedback == Message.Feedback.DOWN and answer.content.strip() else []
    return [*answer.rejected_texts, *own]


def _replace_after(conversation: Conversation, message: Message, events: list[dict], *,
                   regenerating: bool = False) -> tuple[list[int], Message]:
    """Drop the messages after `message` and queue a new reply to it. Only a regenerated
    reply answers the same question as the one it replaces, so only it inherits that
    reply's rejected texts: after an edit the old answers were to another question."""
    later = conversation.messages.filter(pk__gt=message.pk)
    answer = later.order_by("id").first() if regenerating else None
    rejected = _rejected_by_user(answer if answer and answer.role == Message.Role.ASSISTANT else None)
    removed = list(later.values_list("pk", flat=True))
    later.delete()
    reply = _start_reply(conversation, rejected_texts=rejected)
    if removed:
        events = [{"type": "removed", "message_ids": removed}, *events]
    _after_commit(conversation, events, reply)
    return removed, reply


@transaction.atomic
def message_edit(*, user, conversation_id: int, message_id: int,
                 content: str) -> tuple[Message, list[int], Message]:
    """Change a user message and ask again: every later message is dropped.
    Returns (the edited message, removed message ids, the queued reply)."""
    locked = _locked(user=user, conversation_id=conversation_id)
    check_content(content)
    conversation = check_idle(locked)
    message = access_get(conversation.messages.filter(role=Message.Role.USER), user=user, pk=message_id,
                         action=Action.EDIT)
    message.content = content
    message.save(update_fields=["content", "updated_at"])
    removed, reply = _replace_after(conversation, message,
                                    [{"type": "message", "message": message_payload(message)}])
    return message, removed, reply


def generation_stop(*, user, conversation_id: int) -> int | None:
    """Ask the worker to stop the conversation's running reply; it stores what was made.
    Returns the reply's id, or None when nothing is running."""
    conversation = access_get(Conversation, user=user, pk=conversation_id, action=Action.EDIT)
    reply = conversation.messages.filter(status=Message.Status.QUEUED).first()
    if reply is None:
        return None
    redis_state.stop_request(generation_id(reply.pk))
    return reply.pk


# -- feedback -----------------------------------------------------------------------------------
@transaction.atomic
def message_feedback(*, user, message_id: int, rating: str | None = None,
                     edited_content: str | None = None) -> Message:
    """Thumbs up/down ("up", "down", or "" to clear) and/or a corrected answer."""
    message = access_get(Message.objects.filter(role=Message.Role.ASSISTANT), user=user, pk=message_id,
                         action=Action.EDIT)
    if message.status == Message.Status.QUEUED:
        raise ValidationError({"rating": ["wait until the reply is finished"]})
    if rating is not None:
        # The thumb as it stands once no one else can change it: two ratings at once each
        # count their change from the other's, not both from the same.
        before = Message.objects.select_for_update().values_list("feedback", flat=True).get(pk=message.pk)
        feedback_count(message_id=message.pk, before=before, after=rating)
        message.feedback = rating
    if edited_content is not None:
        message.feedback_text = edited_content
    message.save(update_fields=["feedback", "feedback_text", "updated_at"])
    return message


def feedback_pairs(*, user) -> list[dict]:
    """{"prompt", "response"} for each liked or corrected reply: the user message it answered,
    and the corrected text when there is one, else the reply itself."""
    own = access_scope(Message.objects.all(), user=user, scope="mine")
    replies = own.filter(
        Q(feedback=Message.Feedback.UP) | ~Q(feedback_text=""), role=Message.Role.ASSISTANT,
    ).exclude(status=Message.Status.QUEUED).order_by("conversation_id", "id")
    pairs = []
    for reply in replies:
        prompt = (own
                  .filter(conversation_id=reply.conversation_id, role=Message.Role.USER, pk__lt=reply.pk)
                  .order_by("-id").values_list("content", flat=True).first())
        response = reply.feedback_text or reply.content
        if prompt and response.strip():
            pairs.append({"prompt": prompt, "response": response})
    return pairs


EXPORT_KINDS = ("pairs", "preferences")


def feedback_export(*, user, name: str = "", kind: str = "pairs"):
    """A new dataset holding one jsonl version of the user's feedback: "pairs" (prompt and
    liked or corrected response, for fine-tuning) or "preferences" (prompt, chosen and
    rejected, for DPO; see preferences.py). Returns (the version, the number of records)."""
    stamp = f"{timezone.now():%Y-%m-%d %H:%M}"
    if kind == "preferences":
        records = feedback_preferences(user=user)
        if not records:
            raise nothing_to_export(
                "give a reply a thumbs down, then regenerate it and give the new reply a thumbs "
                "up, or correct a reply")
        return records_dataset_create(
            user=user, records=records, name=name.strip() or f"Chat preferences {stamp}",
            description=f"{len(records)} preference pairs from chat feedback",
            filename="chat-preferences.jsonl"), len(records)
    records = feedback_pairs(user=user)
    if not records:
        raise nothing_to_export("give a reply a thumbs up or correct one first")
    return records_dataset_create(
        user=user, records=records, name=name.strip() or f"Chat feedback {stamp}",
        description=f"{len(records)} liked or corrected chat replies",
        filename="chat-feedback.jsonl"), len(records)
