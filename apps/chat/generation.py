"""The inference worker's services: a chat reply (build the prompt, stream it to the
conversation's sockets through the process's relay, store the message once when it ends) and an OpenAI-compatible
completion (stream it to the waiting HTTP request's reply list), from a local model or a
remote endpoint's (apps.endpoints). Both release their quota lease when they end, however
they end."""

from __future__ import annotations

import logging
import time

from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import APIException, NotFound

from apps.core.access import access_queryset
from apps.endpoints.client import RemoteError
from apps.endpoints.generation import estimate_tokens, remote_generate, remote_request_settings
from apps.endpoints.models import RemoteEndpoint
from apps.endpoints.selectors import endpoint_for_owner
from apps.endpoints.slots import RemoteBusy
from apps.personalities.loader import personality_version_load
from apps.personalities.selectors import personality_version_get
from apps.registry.models import ModelVersion
from apps.registry.selectors import model_version_sou_pinned, version_sou_pinned
from ml.infer.engine import ContextLengthError, within_context
from ml.personality.base import chat_settings

from . import redis_state
from .conf import setting
from .ids import api_generation_id, generation_id
from .inference import GenerationResult, engine_for, run_generation
from .models import SETTINGS_FIELDS, Conversation, Message
from .prompting import (
    Plan,
    dropped_notice,
    fit_prompt,
    sources_block,
    system_message,
    with_system_prompt,
)
from .quotas import Lease, quota_release
from .realtime import publish_chat_event, publish_chat_events, push_reply
from .relay import Reply, chat_relay
from .reply_lookup import ReplyContext, queued_reply

logger = logging.getLogger(__name__)


# -- chat replies -------------------------------------------------------------------------------
def _retrieve(conversation: Conversation, query: str, collection_ids: list[int]) -> list:
    from apps.rag.retrieval import rag_retrieve

    if not collection_ids:
        return []
    return rag_retrieve(user=conversation.owner, query=query, collection_ids=collection_ids,
                        k=setting("SLOUGHGPT_CHAT_RAG_CHUNKS"), mode=conversation.retrieval_mode)


def conversation_plan(conversation: Conversation, engine, lease: Lease | None, *,
                      system: list[dict], history: list[dict], defaults: dict | None = None) -> Plan:
    """What a reply in `conversation` asks `engine` for: the conversation's sampling over
    `defaults` (a personality's) and the file's, max_tokens capped by the quota lease (and,
    unless the user chose it, by what the prompt leaves of the context), and `system` with
    as many of the newest turns of `history` as fit. Chat replies and arena sides both ask
    this way, so a long conversation works in both."""
    sampling = dict(defaults or {})
    sampling.update({key: getattr(conversation, key) for key in SETTINGS_FIELDS
                     if getattr(conversation, key) is not None})
    max_tokens = sampling.get("max_tokens") or engine.defaults["max_tokens"]
    if lease is not None:
        max_tokens = min(max_tokens, lease.tokens)
    messages, dropped, max_tokens = fit_prompt(
        system, history, count=lambda m: len(engine.encode(m)), context=engine.context_length,
        max_tokens=max_tokens, chosen=conversation.max_tokens is not None)
    sampling["max_tokens"] = max_tokens
    return Plan(messages=messages, dropped_turns=dropped, sampling=sampling,
                notice=dropped_notice(dropped, engine.context_length, max_tokens))


def chat_plan(context: ReplyContext, engine, lease: Lease | None) -> Plan:
    """The prompt and settings for a queued reply (as `queued_reply` read it): the personality
    version's prompt and sampling (loaded once per worker) under the conversation's, sources
    retrieved from the conversation's collections, fitted history (`conversation_plan`)."""
    system, defaults, citations = _grounding(context)
    plan = conversation_plan(context.conversation, engine, lease, system=system, history=context.history,
                             defaults=defaults)
    plan.citations = citations
    return plan


def _grounding(context: ReplyContext) -> tuple[list[dict], dict, list[dict]]:
    """(the system message: the personality's prompt, the conversation's and the sources
    retrieved for the last question; the personality's sampling; the sources' citations)."""
    conversation = context.conversation
    version = context.personality_version
    persona = personality_version_load(version) if version is not None else None
    persona_prompt, defaults = chat_settings(persona)
    question = next((m["content"] for m in reversed(context.history) if m["role"] == "user"), "")
    sources, citations = "", []
    chunks = _retrieve(conversation, question, context.collection_ids)
    if chunks:
        sources, citations = sources_block(chunks)
    return system_message([persona_prompt, conversation.system_prompt, sources]), defaults, citations


def remote_plan(context: ReplyContext, lease: Lease | None) -> Plan:
    """The request for a reply by a remote model: the same system message and the whole
    history (the remote's context and tokenizer are not known here: a conversation too
    long for it fails with the endpoint's own reason), the conversation's sampling over the
    personality's, and max_tokens capped by the quota lease."""
    system, defaults, citations = _grounding(context)
    sampling, max_tokens = remote_request_settings(
        defaults, {key: getattr(context.conversation, key) for key in SETTINGS_FIELDS if key != "steering_strength"},
        lease)
    return Plan(messages=system + context.history, sampling={**sampling, "max_tokens": max_tokens},
                citations=citations)


def _sou_pinned(context: ReplyContext):
    """A context manager giving the file to serve the reply's model from (read by
    `queued_reply`), pinned in this worker's cache while the block loads it (a loaded
    engine's memory map outlives an eviction); NotFound when the version is gone, no longer
    readable by the conversation's owner (a share removed while the reply waited), or not
    ready."""
    conversation, version = context.conversation, context.model_version
    if version is None:
        raise NotFound("This conversation's model version was deleted; choose another model.")
    if not access_queryset(ModelVersion, user=conversation.owner).filter(pk=version.pk).exists():
        raise NotFound(f"No model version with id {conversation.model_version_id}.")
    return version_sou_pinned(version, conversation.qtype or None, context.ready_qtypes)


def _store(reply: Message, **fields) -> bool:
    """Write the finished reply once; False when it was already finished or deleted."""
    with transaction.atomic():
        stored = Message.objects.filter(pk=reply.pk, status=Message.Status.QUEUED).update(
            updated_at=timezone.now(), **fields)
        Conversation.objects.filter(pk=reply.conversation_id).update(updated_at=timezone.now())
    return bool(stored)


def _fail(reply: Message, message: str, *, partial: str = "") -> list[dict]:
    """Store the reply as failed, with the text that was `partial`ly streamed before (the
    user saw it); the event to announce it (none when it was already over)."""
    if _store(reply, status=Message.Status.FAILED, error=message, finish_reason="error", content=partial):
        return [{"type": "error", "message_id": reply.pk, "message": message}]
    return []


def remote_reply(endpoint: RemoteEndpoint, model: str, plan: Plan, reply: Message, live: Reply) -> GenerationResult:
    """A reply streamed from a remote model through the relay, as a local one is."""
    sampling = dict(plan.sampling)
    max_tokens = sampling.pop("max_tokens")
    return remote_generate(endpoint, model, plan.messages, sampling=sampling, max_tokens=max_tokens,
                           requested_at=reply.created_at.timestamp(), on_text=live.add_text,
                           should_stop=lambda: live.stop_requested)


def _finish(reply: Message, result: GenerationResult, plan: Plan | None) -> list[dict]:
    """Store the finished reply; the event to announce it (none when it was already over)."""
    status = Message.Status.STOPPED if result.finish_reason == "cancelled" else Message.Status.DONE
    fields = {
        "content": result.text, "status": status, "finish_reason": result.finish_reason,
        "prompt_tokens": result.prompt_tokens, "completion_tokens": result.completion_tokens,
        "ttft_ms": result.ttft_ms, "tokens_per_s": result.tokens_per_s,
        "citations": plan.citations if plan else [], "notice": plan.notice if plan else "",
    }
    if not _store(reply, **fields):
        return []
    usage = {"prompt_tokens": result.prompt_tokens, "completion_tokens": result.completion_tokens,
             "total_tokens": result.prompt_tokens + result.completion_tokens}
    return [{
        "type": "done", "message_id": reply.pk, "status": status,
        "finish_reason": result.finish_reason, "content": result.text, "usage": usage,
        "ttft_ms": result.ttft_ms, "tokens_per_s": result.tokens_per_s,
        "citations": fields["citations"], "notice": fields["notice"],
    }]


def failure_message(exc: Exception, label: str, what: str) -> str:
    """What a generation that raised `exc` tells its user: the reason for a prompt that does
    not fit or a template problem (ValueError, which PromptTooLong and ContextLengthError
    are) and for a model version gone or not ready (APIException); for anything else, that
    `what` could not be generated (the error is logged under `label`)."""
    if isinstance(exc, ValueError):
        return str(exc)
    if isinstance(exc, APIException):
        return str(exc.detail)
    logger.error("%s failed", label, exc_info=exc)
    return f"the {what} could not be generated ({type(exc).__name__})"


def announce_end(conversation_id: int, live: Reply | None, events: list[dict]) -> None:
    """Send the reply's ending events, after whatever text the relay still holds for it."""
    if live is not None:
        live.close(events)
    elif events:
        publish_chat_events(conversation_id, events)


def _record(context: ReplyContext, result: GenerationResult | None, error: Exception | None, *,
            stored: bool, queued_at: float | None, started_at: float, relayed_at: float | None) -> None:
    """The reply's inference record (apps.monitoring), once its end was relayed."""
    from apps.monitoring.records import inference_record_write

    reply = context.reply
    question = next((m["content"] for m in reversed(context.history) if m["role"] == "user"), "")
    inference_record_write(
        source="chat", model_version_id=context.model_version.pk if context.model_version else None,
        user_id=reply.owner_id, message_id=reply.pk if stored else None, result=result, error=error,
        received_at=reply.created_at, queued_at=queued_at, worker_started_at=started_at,
        relayed_at=relayed_at, prompt_text=question, reply_text=result.text if result else "")


def chat_reply_generate(*, message_id: int, queued_at: float | None = None) -> None:
    """Generate a queued reply. A redelivered task for a finished reply does nothing. The
    generation starts before anything else is written; its text streams through the relay.
    `queued_at` is when the task was sent (time.time()), for the reply's trace."""
    started_at = time.time()
    context = queued_reply(message_id)
    if context is None or context.reply.status != Message.Status.QUEUED:
        return
    reply, conversation, stop_id = context.reply, context.conversation, generation_id(message_id)
    lease = Lease.from_dict(reply.quota_lease)
    used, events, live, result, error, relayed_at = 0, [], None, None, None, None
    try:
        if redis_state.stop_requested(stop_id):
            events = _finish(reply, GenerationResult("", 0, 0, "cancelled", None, None), None)
            return
        if conversation.remote_model:
            plan = remote_plan(context, lease)
            endpoint = endpoint_for_owner(owner_id=conversation.owner_id,
                                          endpoint_id=conversation.remote_endpoint_id)
            live = chat_relay().open(conversation_id=conversation.pk, message_id=reply.pk,
                                     stop_key=redis_state.stop_key(stop_id))
            result = remote_reply(endpoint, conversation.remote_model, plan, reply, live)
        else:
            with _sou_pinned(context) as path:
                engine = engine_for(path, model_version_id=context.model_version.pk)
            plan = chat_plan(context, engine, lease)
            request = engine.request(plan.messages, **plan.sampling)
            if plan.notice:
                publish_chat_event(conversation.pk, {"type": "notice", "message_id": reply.pk,
                                                     "message": plan.notice})
            live = chat_relay().open(conversation_id=conversation.pk, message_id=reply.pk,
                                     stop_key=redis_state.stop_key(stop_id))
            # The relay batches the text and reads the stop flag, so each token costs no I/O.
            result = run_generation(engine, request, requested_at=reply.created_at.timestamp(),
                                    on_text=live.add_text, should_stop=lambda: live.stop_requested,
                                    batch_s=0.0, model_version_id=context.model_version.pk)
        used = result.completion_tokens
        events = _finish(reply, result, plan)
    except RemoteError as exc:
        error = exc
        used = estimate_tokens(exc.partial)
        events = _fail(reply, f"the remote model failed: {exc.message}", partial=exc.partial)
    except Exception as exc:
        error = exc
        events = _fail(reply, failure_message(exc, f"chat reply {message_id}", "reply"))
    finally:
        try:
            announce_end(conversation.pk, live, events)
            relayed_at = time.time()
        finally:
            quota_release(lease, used_tokens=used)
            _record(context, result, error, stored=bool(events), queued_at=queued_at,
                    started_at=started_at, relayed_at=relayed_at)


# -- OpenAI-compatible completions -------------------------------------------------------------
def _completion_personality(user, payload: dict) -> tuple[str, dict]:
    """(system prompt, sampling defaults) of the request's personality version, if it named
    one (checked again here: the version must still be one the user may see)."""
    version_id = payload.get("personality_version_id")
    if version_id is None:
        return "", {}
    return chat_settings(personality_version_load(personality_version_get(user=user, version_id=version_id)))


def _completion_sources(user, payload: dict) -> tuple[str, list[dict]]:
    """(the sources block, its citations) for a request grounded in collections (its
    `sloughgpt` extension), retrieved for its last user turn; the collections are checked
    again here, as a chat reply's are."""
    retrieval = payload.get("retrieval")
    if not retrieval:
        return "", []
    from apps.rag.retrieval import rag_retrieve

    question = next((m["content"] for m in reversed(payload.get("messages") or []) if m["role"] == "user"), "")
    chunks = rag_retrieve(user=user, query=question, collection_ids=retrieval["collection_ids"],
                          k=setting("SLOUGHGPT_CHAT_RAG_CHUNKS"), mode=retrieval["mode"])
    return sources_block(chunks) if chunks else ("", [])


def _record_completion(payload: dict, result: GenerationResult | None, error: Exception | None, *,
                       started_at: float, relayed_at: float) -> None:
    """The completion's inference record (apps.monitoring); the prompt is its last user turn."""
    from apps.monitoring.records import inference_record_write

    messages = payload.get("messages")
    if isinstance(messages, list):
        question = next((m.get("content") for m in reversed(messages)
                         if isinstance(m, dict) and m.get("role") == "user"), "")
    else:
        question = payload.get("prompt")
    inference_record_write(
        source="v1", model_version_id=payload["model_version_id"], user_id=payload["user_id"],
        result=result, error=error, received_at=payload["requested_at"],
        queued_at=payload.get("queued_at"), worker_started_at=started_at, relayed_at=relayed_at,
        prompt_text=question if isinstance(question, str) else "",
        reply_text=result.text if result else "")


def _remote_completion(user, payload: dict, lease: Lease | None) -> GenerationResult:
    """Stream a /v1 chat completion by a remote model to the request's reply list, with the
    same events a local one sends (its personality and sources in the system message)."""
    request_id, stop_id = payload["request_id"], api_generation_id(payload["request_id"])
    endpoint = endpoint_for_owner(owner_id=user.pk, endpoint_id=payload["remote_endpoint_id"])
    persona_prompt, defaults = _completion_personality(user, payload)
    sources, citations = _completion_sources(user, payload)
    messages = with_system_prompt(with_system_prompt(payload["messages"], sources), persona_prompt)
    sampling, max_tokens = remote_request_settings(defaults, payload["settings"], lease)
    push_reply(request_id, {"type": "start", "prompt_tokens": None})
    result = remote_generate(
        endpoint, payload["remote_model"], messages, sampling=sampling, max_tokens=max_tokens,
        requested_at=payload["requested_at"],
        on_text=lambda text: push_reply(request_id, {"type": "delta", "text": text}),
        should_stop=lambda: redis_state.stop_requested(stop_id))
    push_reply(request_id, {
        **({"citations": citations} if "retrieval" in payload else {}),
        "type": "done", "finish_reason": "length" if result.finish_reason == "length" else "stop",
        "usage": {"prompt_tokens": result.prompt_tokens, "completion_tokens": result.completion_tokens,
                  "total_tokens": result.prompt_tokens + result.completion_tokens},
    })
    return result


def completion_generate(*, payload: dict) -> None:
    """Stream one /v1 completion to `reply:<request_id>`: a "start" event (prompt tokens),
    "delta" events, then "done" with usage, or one "error" event with an HTTP status. A
    personality opens the system message and its sampling fills what the request left out."""
    from apps.accounts.models import User

    started_at = time.time()
    request_id = payload["request_id"]
    if not redis_state.client().set(redis_state.key("claim", request_id), 1, nx=True,
                                    ex=redis_state.STOP_TTL_S):
        return  # a redelivery of a request already served
    lease = Lease.from_dict(payload["lease"])
    stop_id = api_generation_id(request_id)
    used, result, error = 0, None, None
    try:
        if redis_state.stop_requested(stop_id):
            return  # the client gave up before a worker was free
        user = User.objects.get(pk=payload["user_id"])
        if payload.get("remote_model"):
            result = _remote_completion(user, payload, lease)
            used = result.completion_tokens
            return
        with model_version_sou_pinned(user=user, model_version_id=payload["model_version_id"],
                                      qtype=payload["qtype"]) as path:
            engine = engine_for(path, model_version_id=payload["model_version_id"])
        persona_prompt, defaults = _completion_personality(user, payload)
        settings = dict(payload["settings"])
        requested, default = settings.pop("max_tokens", None), defaults.pop("max_tokens", None)
        max_tokens = requested or default or engine.defaults["max_tokens"]
        settings = {**defaults, **settings}
        if lease is not None:
            max_tokens = min(max_tokens, lease.tokens)
        prompt = payload.get("messages") or payload.get("prompt")
        sources, citations = _completion_sources(user, payload)
        if isinstance(prompt, list):
            prompt = with_system_prompt(with_system_prompt(prompt, sources), persona_prompt)
        try:
            request = within_context(engine.request, prompt, chosen=requested is not None,
                                     max_tokens=max_tokens, **settings)
        except ValueError as exc:  # ContextLengthError, a template or prompt problem
            error = exc
            code = "context_length_exceeded" if isinstance(exc, ContextLengthError) else None
            push_reply(request_id, {"type": "error", "status": 400, "code": code,
                                    "param": payload.get("param"), "message": str(exc)})
            return
        push_reply(request_id, {"type": "start", "prompt_tokens": len(request.prompt_ids)})
        result = run_generation(
            engine, request, requested_at=payload["requested_at"],
            on_text=lambda text: push_reply(request_id, {"type": "delta", "text": text}),
            should_stop=lambda: redis_state.stop_requested(stop_id),
            batch_s=setting("SLOUGHGPT_CHAT_FLUSH_MS") / 1000,
            model_version_id=payload["model_version_id"],
        )
        used = result.completion_tokens
        push_reply(request_id, {
            **({"citations": citations} if "retrieval" in payload else {}),
            "type": "done", "finish_reason": "length" if result.finish_reason == "length" else "stop",
            "usage": {"prompt_tokens": result.prompt_tokens,
                      "completion_tokens": result.completion_tokens,
                      "total_tokens": result.prompt_tokens + result.completion_tokens},
        })
    except RemoteError as exc:
        error = exc
        used = estimate_tokens(exc.partial)
        busy = isinstance(exc, RemoteBusy)  # over a remote reply cap: try again, as for a rate limit
        push_reply(request_id, {"type": "error", "status": 429 if busy else 502,
                                "code": "remote_busy" if busy else "remote_failed", "param": None,
                                "message": f"the remote model failed: {exc.message}"})
    except Exception as exc:
        error = exc
        logger.exception("completion %s failed", request_id)
        status = exc.status_code if isinstance(exc, APIException) else 500
        detail = str(exc.detail) if isinstance(exc, APIException) else "the model failed to generate"
        push_reply(request_id, {"type": "error", "status": status, "code": None, "param": None,
                                "message": detail})
    finally:
        relayed_at = time.time()  # the end is in the request's reply list
        quota_release(lease, used_tokens=used)
        _record_completion(payload, result, error, started_at=started_at, relayed_at=relayed_at)
