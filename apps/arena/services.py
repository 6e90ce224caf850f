"""Writes for the arena: starting a battle (one prompt to two of the owner's ready model
versions or remote models, shuffled into hidden sides A and B), stopping one, voting on it once both replies
are in (which reveals the models), and exporting the votes as preference pairs. Called by
the REST API and the chat socket (a "compare" in a conversation); the inference worker
generates the replies (generation.py) and ends each side with `side_end`."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.chat import redis_state
from apps.chat.conversation_lock import locked_conversation
from apps.chat.ids import battle_generation_id
from apps.chat.models import Conversation
from apps.chat.preferences import conversation_prompt, nothing_to_export, records_dataset_create
from apps.chat.quotas import Lease, generation_lost_before, quota_acquire, quota_release
from apps.chat.realtime import publish_chat_events
from apps.chat.services import check_content, check_idle
from apps.core.access import Action, access_get
from apps.core.errors import Conflict
from apps.core.selectors import owned_get
from apps.endpoints.selectors import RemoteModel, remote_model_get
from apps.monitoring.rollups import arena_vote_count
from apps.registry.models import ModelVersion

from .models import Battle, BattleReply
from .realtime import battle_payload
from .selectors import battle_preferences
from .tasks import battle_reply_inference_task

logger = logging.getLogger(__name__)
_shuffle = random.SystemRandom().shuffle  # which version is A is not predictable


@dataclass(frozen=True)
class Contestant:
    """One side's model: a version, or a model of one of the user's remote endpoints."""

    version: ModelVersion | None = None
    remote: RemoteModel | None = None

    @property
    def name(self) -> str:
        return self.remote.id if self.remote else str(self.version)

    @property
    def key(self) -> tuple:
        return ("remote", self.remote.endpoint.pk, self.remote.model) if self.remote else ("version", self.version.pk)


def _contestants(*, user, model_version_ids: list[int], remote_models: list[dict]) -> list[Contestant]:
    """Two different contestants: ready versions the user can read (their own or shared with
    them) and models of the user's own endpoints ({"endpoint_id", "model"}). Counted before
    any is looked up: a request naming many must not cost a query each."""
    if len(model_version_ids) + len(remote_models) != 2:
        raise ValidationError({"model_version_ids": ["choose two different models (versions or remote models)"]})
    chosen = [Contestant(version=version) for version in _versions(user=user, model_version_ids=model_version_ids)]
    chosen += [Contestant(remote=remote_model_get(user=user, endpoint_id=entry["endpoint_id"], model=entry["model"],
                                                  field="remote_models")) for entry in remote_models]
    if len(chosen) != 2 or chosen[0].key == chosen[1].key:
        raise ValidationError({"model_version_ids": ["choose two different models (versions or remote models)"]})
    return chosen


def _versions(*, user, model_version_ids: list[int]) -> list[ModelVersion]:
    """Ready versions the user can read (their own or shared with them) as contestants."""
    versions = []
    for pk in model_version_ids:
        version = access_get(ModelVersion.objects.select_related("registered_model"), user=user, pk=pk)
        if version.status != ModelVersion.Status.READY:
            raise ValidationError({"model_version_ids": [
                f"model version {version} is {version.status}, not ready"]})
        versions.append(version)
    return versions


def _leases(*, user_id: int, want_tokens: int | None) -> list[Lease]:
    leases = []
    try:
        for _ in range(2):
            leases.append(quota_acquire(user_id=user_id, want_tokens=want_tokens))
    except BaseException:
        for lease in leases:
            quota_release(lease, used_tokens=0)
        raise
    return leases


def side_end(reply: BattleReply, **fields) -> list[dict]:
    """Store a side's end (`status` and what else `fields` set) once; the "battle_done"
    event announcing it, or none when it had already ended or was deleted. `error` is what
    the event and the battle show before the vote."""
    with transaction.atomic():
        stored = BattleReply.objects.filter(pk=reply.pk, status=BattleReply.Status.QUEUED).update(
            updated_at=timezone.now(), **fields)
    if not stored:
        return []
    return [{"type": "battle_done", "battle_id": reply.battle_id, "side": reply.side,
             "status": fields["status"], "content": fields.get("content", ""),
             "error": fields.get("error", "")}]


def _give_up(reply: BattleReply, error: str) -> list[dict]:
    """Fail a side no worker will answer, and free its quota lease."""
    events = side_end(reply, status=BattleReply.Status.FAILED, error=error, finish_reason="error")
    if events:
        quota_release(Lease.from_dict(reply.quota_lease), used_tokens=0)
    return events


def _enqueue(reply: BattleReply) -> None:
    """Hand the side to the inference queue; when that fails (the broker is down) the side
    fails at once instead of staying queued, and its lease is freed."""
    try:
        # The send time goes with the task, for the side's trace.
        battle_reply_inference_task.delay(reply.pk, queued_at=time.time())
    except Exception:
        logger.exception("could not enqueue battle reply %s", reply.pk)
        events = _give_up(reply, "the answer could not be started; try again")
        if events:
            publish_chat_events(reply.battle.conversation_id, events)


def _end_lost_sides(conversation: Conversation) -> None:
    """Fail the conversation's sides queued longer than any generation runs (their tasks
    were lost), so their battles can be voted on and the conversation is free again."""
    lost = BattleReply.objects.filter(battle__conversation=conversation, status=BattleReply.Status.QUEUED,
                                      created_at__lt=generation_lost_before())
    events = [event for reply in lost
              for event in _give_up(reply, "the answer was lost before it was written; ask again")]
    if events:
        transaction.on_commit(lambda: publish_chat_events(conversation.pk, events), robust=True)


@transaction.atomic
def battle_create(*, user, conversation_id: int, content: str, model_version_ids: list[int] = (),
                  remote_models: list[dict] = ()) -> Battle:
    """A battle in the user's conversation: `content` (after the conversation's finished
    turns) to both contestants at once (two of `model_version_ids` and `remote_models`
    together); its replies stream to the conversation's sockets. Refused while a reply or
    another comparison is being generated there."""
    check_content(content)
    conversation = check_idle(locked_conversation(user=user, conversation_id=conversation_id))
    versions = _contestants(user=user, model_version_ids=list(model_version_ids), remote_models=list(remote_models))
    _end_lost_sides(conversation)
    _shuffle(versions)
    prompt = [*conversation_prompt(conversation), {"role": "user", "content": content}]
    leases = _leases(user_id=user.pk, want_tokens=conversation.max_tokens)
    try:
        battle = Battle.objects.create(owner=user, conversation=conversation, prompt=prompt)
        replies = BattleReply.objects.bulk_create([
            BattleReply(owner=user, battle=battle, side=side, model_version=chosen.version,
                        remote_endpoint=chosen.remote.endpoint if chosen.remote else None,
                        remote_model=chosen.remote.model if chosen.remote else "",
                        model_name=chosen.name, quota_lease=lease.to_dict())
            for side, chosen, lease in zip(BattleReply.Side.values, versions, leases, strict=True)])
    except BaseException:
        for lease in leases:
            quota_release(lease, used_tokens=0)
        raise
    event = {"type": "battle", "battle": battle_payload(battle, replies)}
    transaction.on_commit(lambda: publish_chat_events(conversation.pk, [event]), robust=True)
    for reply in replies:
        transaction.on_commit(lambda reply=reply: _enqueue(reply), robust=True)
    return battle


def battle_stop(*, user, conversation_id: int) -> list[int]:
    """Ask the worker to stop the conversation's sides still being answered; each keeps what
    it made. Returns their ids (none when no comparison is running)."""
    conversation = access_get(Conversation, user=user, pk=conversation_id, action=Action.EDIT)
    running = list(BattleReply.objects.filter(battle__conversation=conversation,
                                              status=BattleReply.Status.QUEUED)
                   .values_list("pk", flat=True))
    for pk in running:
        redis_state.stop_request(battle_generation_id(pk))
    return running


@transaction.atomic
def battle_vote(*, user, battle_id: int, vote: str, conversation_id: int | None = None) -> Battle:
    """Record the vote (a, b, tie or both_bad) once both replies are in; it reveals the
    models. A second vote is a Conflict."""
    battles = Battle.objects.select_for_update()
    if conversation_id is not None:  # from a conversation's socket: only its own battles
        battles = battles.filter(conversation_id=conversation_id)
    battle = owned_get(battles, user=user, pk=battle_id)
    if vote not in Battle.Vote.values:
        raise ValidationError({"vote": [f"vote one of {', '.join(Battle.Vote.values)}"]})
    if battle.vote:
        raise Conflict("This battle already has a vote.")
    _end_lost_sides(battle.conversation)
    replies = list(battle.replies.all())
    if any(reply.status == BattleReply.Status.QUEUED for reply in replies):
        raise ValidationError({"vote": ["wait until both answers are finished"]})
    battle.vote, battle.voted_at = vote, timezone.now()
    battle.save(update_fields=["vote", "voted_at", "updated_at"])
    if vote in (Battle.Vote.A, Battle.Vote.B):
        versions = {reply.side: reply.model_version_id for reply in replies}
        arena_vote_count(winner_version_id=versions.get(vote),
                         loser_version_id=versions.get("b" if vote == Battle.Vote.A else "a"),
                         at=battle.voted_at)
    event = {"type": "battle_reveal", "battle": battle_payload(battle, replies)}
    transaction.on_commit(lambda: publish_chat_events(battle.conversation_id, [event]), robust=True)
    return battle


def battle_votes_export(*, user, name: str = ""):
    """A new dataset of the user's decided votes as preference pairs (the winner chosen);
    returns (its version, the number of pairs)."""
    records = battle_preferences(user=user)
    if not records:
        raise nothing_to_export("vote A or B in a comparison first (ties and both-bad votes "
                                "name no better answer)")
    name = name.strip() or f"Arena votes {timezone.now():%Y-%m-%d %H:%M}"
    version = records_dataset_create(user=user, records=records, name=name,
                                     description=f"{len(records)} preference pairs from arena votes",
                                     filename="arena-preferences.jsonl")
    return version, len(records)
