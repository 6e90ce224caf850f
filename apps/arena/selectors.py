"""Reads for the arena, scoped to the owner: battles, the leaderboard of the owner's model
versions, and decided votes as preference records."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache
from django.db.models import Prefetch, QuerySet

from apps.core.selectors import owned_get, owned_queryset

from .models import Battle, BattleReply
from .ratings import ratings

LEADERBOARD_CACHE_S = 24 * 3600  # a key never goes stale (it names its games); this frees memory
# What each vote scores for side A (see ratings.py: both bad counts as a tie).
A_SCORE = {Battle.Vote.A: 1.0, Battle.Vote.B: 0.0, Battle.Vote.TIE: 0.5, Battle.Vote.BOTH_BAD: 0.5}


def _with_replies(queryset: QuerySet[Battle]) -> QuerySet[Battle]:
    return queryset.prefetch_related(Prefetch("replies", queryset=BattleReply.objects.order_by("side")))


def battle_list(*, user, conversation_id: int | None = None) -> QuerySet[Battle]:
    queryset = owned_queryset(Battle, user=user)
    if conversation_id is not None:
        queryset = queryset.filter(conversation_id=conversation_id)
    return _with_replies(queryset)


def battle_get(*, user, battle_id) -> Battle:
    return owned_get(_with_replies(owned_queryset(Battle, user=user)), user=user, pk=battle_id)


@dataclass(frozen=True)
class LeaderboardRow:
    model_version_id: int
    model_name: str
    rating: float
    ci_low: float
    ci_high: float
    battles: int
    wins: int
    losses: int
    ties: int


def _voted_games(*, user) -> list[tuple[int, str, int, str, float]]:
    """(version A, its name, version B, its name, A's score) of each voted battle whose two
    versions still exist."""
    games = []
    for battle in battle_list(user=user).exclude(vote=""):
        sides = {reply.side: reply for reply in battle.replies.all()}
        a, b = sides.get("a"), sides.get("b")
        if a and b and a.model_version_id and b.model_version_id:
            games.append((a.model_version_id, a.model_name, b.model_version_id, b.model_name,
                          A_SCORE[battle.vote]))
    return games


def leaderboard(*, user) -> list[LeaderboardRow]:
    """The user's voted versions, best first: Bradley-Terry rating with its 95% interval,
    and their battles, wins, losses and ties (both-bad votes count as ties). The bootstrap
    fits are cached under the games they were fitted to, so a new vote (or a deleted or
    renamed version) is a new key and an unchanged board is not refitted on every read."""
    games = _voted_games(user=user)
    digest = hashlib.sha256(json.dumps(games).encode()).hexdigest()
    key = f"arena:leaderboard:{user.pk}:{digest}"
    rows = cache.get(key)
    if rows is None:
        rows = _fitted(games)
        cache.set(key, rows, LEADERBOARD_CACHE_S)
    return rows


def _fitted(games: list[tuple[int, str, int, str, float]]) -> list[LeaderboardRow]:
    index: dict[int, int] = {}
    names: dict[int, str] = {}
    for a, a_name, b, b_name, _ in games:
        for pk, name in ((a, a_name), (b, b_name)):
            index.setdefault(pk, len(index))
            names[pk] = name
    if not index:
        return []
    fitted = ratings(len(index), np.array([(index[a], index[b], s) for a, _, b, _, s in games]))
    tally = {pk: [0, 0, 0] for pk in index}  # wins, losses, ties
    for a, _, b, _, score in games:
        for pk, mine in ((a, score), (b, 1.0 - score)):
            tally[pk][0 if mine == 1.0 else 1 if mine == 0.0 else 2] += 1
    rows = [LeaderboardRow(pk, names[pk], fitted[i].rating, fitted[i].ci_low, fitted[i].ci_high,
                           sum(tally[pk]), *tally[pk]) for pk, i in index.items()]
    return sorted(rows, key=lambda row: (-row.rating, row.model_version_id))


def battle_preferences(*, user) -> list[dict]:
    """Preference records (apps/chat/preferences.py) of the user's battles voted A or B,
    oldest first."""
    records = []
    decided = battle_list(user=user).filter(vote__in=(Battle.Vote.A, Battle.Vote.B)).order_by("id")
    for battle in decided:
        text = {reply.side: reply.content for reply in battle.replies.all()}
        loser = "b" if battle.vote == Battle.Vote.A else "a"
        chosen, rejected = text.get(battle.vote, ""), text.get(loser, "")
        if chosen.strip() and rejected.strip():
            records.append({"prompt": battle.prompt, "chosen": chosen, "rejected": rejected})
    return records
