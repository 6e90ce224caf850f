"""The inference worker's service for one side of an arena battle: serve the side's model
version, answer the battle's prompt with the conversation's sampling settings, stream the
text to the conversation's sockets through the process's relay as "battle_delta" events
(naming the battle and side, never the model), store the reply once with a "battle_done"
event, and release the quota lease however it ends."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import APIException, NotFound

from apps.chat import redis_state
from apps.chat.generation import announce_end
from apps.chat.ids import battle_generation_id
from apps.chat.inference import GenerationResult, engine_for, run_generation
from apps.chat.models import SETTINGS_FIELDS
from apps.chat.quotas import Lease, quota_release
from apps.chat.relay import chat_relay
from apps.registry.selectors import version_sou_path
from ml.infer.engine import within_context

from .models import BattleReply

logger = logging.getLogger(__name__)


def _store(reply: BattleReply, **fields) -> bool:
    """Write the finished side once; False when it was already finished or deleted."""
    with transaction.atomic():
        return bool(BattleReply.objects.filter(pk=reply.pk, status=BattleReply.Status.QUEUED)
                    .update(updated_at=timezone.now(), **fields))


def _ended(reply: BattleReply, **fields) -> list[dict]:
    """Store the side's end; the event that announces it (none when it was already over)."""
    if not _store(reply, **fields):
        return []
    return [{"type": "battle_done", "battle_id": reply.battle_id, "side": reply.side,
             "status": fields["status"], "content": fields.get("content", ""),
             "error": fields.get("error", "")}]


def _request(reply: BattleReply, engine, lease: Lease | None):
    conversation = reply.battle.conversation
    sampling = {key: getattr(conversation, key) for key in SETTINGS_FIELDS
                if getattr(conversation, key) is not None}
    requested = sampling.pop("max_tokens", None)
    max_tokens = requested or engine.defaults["max_tokens"]
    if lease is not None:
        max_tokens = min(max_tokens, lease.tokens)
    return within_context(engine.request, reply.battle.prompt, chosen=requested is not None,
                          max_tokens=max_tokens, **sampling)


def battle_reply_generate(*, reply_id: int) -> None:
    """Generate one queued side of a battle; a redelivered task for a finished side does
    nothing."""
    reply = (BattleReply.objects.select_related("battle__conversation", "model_version")
             .filter(pk=reply_id).first())
    if reply is None or reply.status != BattleReply.Status.QUEUED:
        return
    conversation_id, lease = reply.battle.conversation_id, Lease.from_dict(reply.quota_lease)
    used, events, live = 0, [], None
    try:
        version = reply.model_version
        if version is None or version.owner_id != reply.owner_id:
            raise NotFound("This model version was deleted.")
        engine = engine_for(version_sou_path(version))
        request = _request(reply, engine, lease)
        live = chat_relay().open(
            conversation_id=conversation_id,
            stop_key=redis_state.stop_key(battle_generation_id(reply.pk)),
            label={"type": "battle_delta", "battle_id": reply.battle_id, "side": reply.side})
        result: GenerationResult = run_generation(
            engine, request, requested_at=reply.created_at.timestamp(), on_text=live.add_text,
            should_stop=lambda: live.stop_requested, batch_s=0.0)
        used = result.completion_tokens
        events = _ended(reply, status=BattleReply.Status.DONE, content=result.text,
                        finish_reason=result.finish_reason,
                        completion_tokens=result.completion_tokens)
    except ValueError as exc:  # ContextLengthError, a template problem
        events = _ended(reply, status=BattleReply.Status.FAILED, error=str(exc), finish_reason="error")
    except APIException as exc:  # the version is gone or not ready
        events = _ended(reply, status=BattleReply.Status.FAILED, error=str(exc.detail),
                        finish_reason="error")
    except Exception as exc:
        logger.exception("battle reply %s failed", reply_id)
        events = _ended(reply, status=BattleReply.Status.FAILED, finish_reason="error",
                        error=f"the answer could not be generated ({type(exc).__name__})")
    finally:
        try:
            announce_end(conversation_id, live, events)
        finally:
            quota_release(lease, used_tokens=used)

