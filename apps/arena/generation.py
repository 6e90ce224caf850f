"""The inference worker's service for one side of an arena battle: serve the side's model
version (or ask its remote model, apps.endpoints), answer the battle's prompt as chat answers a conversation (its sampling settings,
the newest turns that fit the context), stream the text to the conversation's sockets
through the process's relay as "battle_delta" events (naming the battle and side, never the
model), store the reply once with a "battle_done" event, and release the quota lease however
it ends. Until the vote, a failure is told in words that cannot tell the models apart."""

from __future__ import annotations

import time

from rest_framework.exceptions import NotFound

from apps.chat import redis_state
from apps.chat.generation import announce_end, conversation_plan, failure_message
from apps.chat.ids import battle_generation_id
from apps.chat.inference import GenerationResult, engine_for, run_generation
from apps.chat.models import SETTINGS_FIELDS
from apps.chat.prompting import PromptTooLong
from apps.chat.quotas import Lease, quota_release
from apps.chat.relay import chat_relay
from apps.core.access import access_queryset
from apps.endpoints.client import RemoteError
from apps.endpoints.generation import estimate_tokens, remote_generate, remote_request_settings
from apps.endpoints.selectors import endpoint_for_owner
from apps.registry.models import ModelVersion
from apps.registry.selectors import version_sou_pinned
from ml.infer.engine import ContextLengthError

from .models import BattleReply
from .services import side_end

# What a failed side says before the vote: the full reason may name the model's context
# length, count tokens in its own tokenizer or name the version, which tells the models apart.
TOO_LONG = "the conversation is too long for this model"
NOT_GENERATED = "the answer could not be generated"


def _request(reply: BattleReply, engine, lease: Lease | None):
    prompt = reply.battle.prompt
    system, history = (prompt[:1], prompt[1:]) if prompt and prompt[0]["role"] == "system" else ([], prompt)
    plan = conversation_plan(reply.battle.conversation, engine, lease, system=system, history=history)
    return engine.request(plan.messages, **plan.sampling)


def _failed(reply: BattleReply, exc: Exception) -> list[dict]:
    """End the side as failed: a reason that names neither model until the vote (the
    context length, a version's name or id would), the full one after. A remote model's
    side keeps the text it streamed before it failed."""
    public = TOO_LONG if isinstance(exc, (ContextLengthError, PromptTooLong)) else NOT_GENERATED
    if isinstance(exc, RemoteError):
        return side_end(reply, status=BattleReply.Status.FAILED, finish_reason="error", error=public,
                        error_detail=f"the remote model failed: {exc.message}", content=exc.partial)
    return side_end(reply, status=BattleReply.Status.FAILED, finish_reason="error", error=public,
                    error_detail=failure_message(exc, f"battle reply {reply.pk}", "answer"))


def _remote_side(reply: BattleReply, lease: Lease | None, live) -> GenerationResult:
    """A remote model's answer to the battle's prompt, as it stands (the system prompt first),
    with the conversation's sampling and max_tokens capped by the quota lease."""
    endpoint = endpoint_for_owner(owner_id=reply.owner_id, endpoint_id=reply.remote_endpoint_id)
    conversation = reply.battle.conversation
    sampling, max_tokens = remote_request_settings(
        {}, {key: getattr(conversation, key) for key in SETTINGS_FIELDS if key != "steering_strength"}, lease)
    return remote_generate(endpoint, reply.remote_model, reply.battle.prompt, sampling=sampling,
                           max_tokens=max_tokens, requested_at=reply.created_at.timestamp(),
                           on_text=live.add_text, should_stop=lambda: live.stop_requested)


def _record(reply: BattleReply, result: GenerationResult | None, error: Exception | None, *,
            queued_at: float | None, started_at: float, relayed_at: float | None) -> None:
    """The side's inference record (apps.monitoring); the prompt is the battle's last user turn."""
    from apps.monitoring.records import inference_record_write

    prompt = reply.battle.prompt or []
    question = next((m["content"] for m in reversed(prompt) if m["role"] == "user"), "")
    inference_record_write(
        source="arena", model_version_id=reply.model_version_id, user_id=reply.owner_id,
        result=result, error=error, received_at=reply.created_at, queued_at=queued_at,
        worker_started_at=started_at, relayed_at=relayed_at, prompt_text=question,
        reply_text=result.text if result else "")


def battle_reply_generate(*, reply_id: int, queued_at: float | None = None) -> None:
    """Generate one queued side of a battle; a redelivered task for a finished side does
    nothing, and a side stopped before a worker took it ends empty. `queued_at` is when the
    task was sent (time.time()), for the side's trace."""
    started_at = time.time()
    reply = (BattleReply.objects.select_related("battle__conversation", "model_version", "remote_endpoint")
             .filter(pk=reply_id).first())
    if reply is None or reply.status != BattleReply.Status.QUEUED:
        return
    conversation_id, lease = reply.battle.conversation_id, Lease.from_dict(reply.quota_lease)
    stop_id = battle_generation_id(reply.pk)
    used, events, live, result, error, relayed_at = 0, [], None, None, None, None
    try:
        if redis_state.stop_requested(stop_id):
            events = side_end(reply, status=BattleReply.Status.STOPPED, finish_reason="cancelled")
            return
        label = {"type": "battle_delta", "battle_id": reply.battle_id, "side": reply.side}
        if reply.remote_model:
            live = chat_relay().open(conversation_id=conversation_id, stop_key=redis_state.stop_key(stop_id),
                                     label=label)
            result = _remote_side(reply, lease, live)
        else:
            version = reply.model_version
            # Asked again here: a contestant shared with the battle's owner may have been unshared.
            if version is None or not access_queryset(ModelVersion, user=reply.owner).filter(pk=version.pk).exists():
                raise NotFound("This model version was deleted.")
            # Pinned while it loads: another task filling the cache cannot evict it half-read.
            with version_sou_pinned(version) as path:
                engine = engine_for(path, model_version_id=version.pk)
            request = _request(reply, engine, lease)
            live = chat_relay().open(conversation_id=conversation_id, stop_key=redis_state.stop_key(stop_id),
                                     label=label)
            result = run_generation(
                engine, request, requested_at=reply.created_at.timestamp(), on_text=live.add_text,
                should_stop=lambda: live.stop_requested, batch_s=0.0, model_version_id=version.pk)
        used = result.completion_tokens
        stopped = result.finish_reason == "cancelled"
        events = side_end(reply, status=BattleReply.Status.STOPPED if stopped else BattleReply.Status.DONE,
                          content=result.text, finish_reason=result.finish_reason,
                          completion_tokens=result.completion_tokens)
    except Exception as exc:
        error = exc
        used = estimate_tokens(exc.partial) if isinstance(exc, RemoteError) else used
        events = _failed(reply, exc)
    finally:
        try:
            announce_end(conversation_id, live, events)
            relayed_at = time.time()
        finally:
            quota_release(lease, used_tokens=used)
            _record(reply, result, error, queued_at=queued_at, started_at=started_at,
                    relayed_at=relayed_at)
