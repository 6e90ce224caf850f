"""Whose quota an object counts against: its *account*, a user or a team. A team-owned object
(its root's `team` is set) counts against the team; everything else against the owner of
its root (`apps.core.access.ROOTS`), or its own owner for kinds that are never shared."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from apps.core.access import ROOTS


@dataclass(frozen=True)
class Account:
    """A user's or a team's account; exactly one id is set."""

    user_id: int | None = None
    team_id: int | None = None

    def __post_init__(self):
        if (self.user_id is None) == (self.team_id is None):
            raise ValueError("an account is one user or one team")

    @property
    def key(self) -> str:
        """A short stable name for caches and counters ("u12", "t3")."""
        return f"u{self.user_id}" if self.user_id is not None else f"t{self.team_id}"

    def lookup(self) -> dict:
        """Filter kwargs for rows that belong to this account (user=... or team=...)."""
        return {"user_id": self.user_id} if self.user_id is not None else {"team_id": self.team_id}


def account_for_user(user) -> Account:
    return Account(user_id=user.pk)


def account_for_team(team) -> Account:
    return Account(team_id=team.pk)


def _root(obj: models.Model) -> models.Model:
    for part in filter(None, ROOTS.get(obj._meta.label, "").split("__")):
        obj = getattr(obj, part)
    return obj


def account_of(obj: models.Model) -> Account:
    """The account `obj`'s stored bytes and compute count against."""
    root = _root(obj)
    team_id = getattr(root, "team_id", None)
    if team_id is not None:
        return Account(team_id=team_id)
    return Account(user_id=root.owner_id)
