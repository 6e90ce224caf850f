"""Ownership-matrix cases for the personality routes (built-ins are everyone's; these
cases use an owned personality, which the other user must not see)."""

from apps.core.ownership import Case

from .factories import config_personality

MARKER = "owner-private-personality"


def _personality(user):
    return {"personality_id": config_personality(user, name=MARKER).pk}, MARKER


def _version(user):
    personality = config_personality(user, name=MARKER)
    return {"version_id": personality.current_version_id}, MARKER


OWNED_ROUTES = {
    "api-v1:personality-list": Case(setup=_personality),
    "api-v1:personality-detail": Case(
        setup=_personality, methods={"get": None, "patch": {"traits": {"warmth": 0.1}}, "delete": None}
    ),
    "api-v1:personality-copy": Case(setup=_personality, methods={"post": {}}),
    "api-v1:personality-versions": Case(setup=_personality),
    "api-v1:personality-score": Case(setup=_personality, methods={"post": {"texts": ["Hello there."]}}),
    "api-v1:personality-version-detail": Case(setup=_version),
}

PUBLIC_ROUTES = {
    "api-v1:personality-preview": "computes a prompt from the request body only; names no stored object",
}
