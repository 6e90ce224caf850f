"""How a battle looks to its owner, on the chat socket and in the REST API: its sides A and
B with their text and status, and which model answered each (and why a side failed, in
full) only once the vote is in."""

from __future__ import annotations

from .models import Battle, BattleReply


def side_payload(reply: BattleReply, *, revealed: bool) -> dict:
    model = ({"id": reply.model_version_id, "name": reply.model_name} if revealed else None)
    error = reply.error_detail if revealed and reply.error_detail else reply.error
    return {"side": reply.side, "status": reply.status, "content": reply.content,
            "error": error, "model": model}


def battle_payload(battle: Battle, replies: list[BattleReply]) -> dict:
    revealed = bool(battle.vote)
    question = next((m["content"] for m in reversed(battle.prompt) if m.get("role") == "user"), "")
    return {
        "id": battle.pk, "conversation_id": battle.conversation_id, "content": question,
        "vote": battle.vote or None, "voted_at": battle.voted_at.isoformat() if battle.voted_at else None,
        "sides": [side_payload(reply, revealed=revealed) for reply in sorted(replies, key=lambda r: r.side)],
        "created_at": battle.created_at.isoformat(),
    }
