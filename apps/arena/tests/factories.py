"""Builders for arena tests: a battle whose two sides have finished, made as the worker
leaves it (the service shuffles the versions; `sides` says which version is A)."""

from __future__ import annotations

from apps.arena.models import Battle, BattleReply
from apps.chat.tests.factories import conversation


def finished_battle(user, version_a, version_b, *, vote: str = "", texts=("Answer A", "Answer B"),
                    question: str = "Which is better?") -> Battle:
    chat = conversation(user, version_a)
    battle = Battle.objects.create(owner=user, conversation=chat, vote=vote,
                                   prompt=[{"role": "user", "content": question}])
    for side, version, text in zip("ab", (version_a, version_b), texts, strict=True):
        BattleReply.objects.create(owner=user, battle=battle, side=side, model_version=version,
                                   model_name=str(version), content=text,
                                   status=BattleReply.Status.DONE)
    return battle
