"""Ownership-matrix cases for the arena routes."""

from apps.core.ownership import Case


def _battle(user):
    from apps.chat.tests.factories import model_version

    from .factories import finished_battle

    one, two = model_version(user, "one", write_file=False), model_version(user, "two", write_file=False)
    battle = finished_battle(user, one, two, question="owner-secret-question")
    return {"battle_id": battle.pk}, "owner-secret-question"


# Battles stay private to their owner, even when their contestants are shared models.
OWNED_ROUTES = {
    "api-v1:arena-battles": Case(setup=_battle, reach="private"),
    "api-v1:arena-battle-detail": Case(setup=_battle, reach="private"),
    "api-v1:arena-battle-vote": Case(setup=_battle, methods={"post": {"vote": "a"}}, reach="private"),
}

PUBLIC_ROUTES = {
    "api-v1:arena-leaderboard": "takes no id; rates only the requesting user's own battles",
    "api-v1:arena-votes-export": "takes no id; exports only the requesting user's own votes",
}
