"""Factories for team tests: a team with members at roles, an object shared with it."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType

from apps.teams.models import Membership, Share, Team


def make_team(owner, *members, name: str = "crew") -> Team:
    """A team owned by `owner`, with each (user, role) of `members` in it."""
    team = Team.objects.create(name=name, created_by=owner)
    Membership.objects.create(team=team, user=owner, role="owner")
    for user, role in members:
        Membership.objects.create(team=team, user=user, role=role)
    return team


def share(obj, team: Team, level: str = "read") -> Share:
    return Share.objects.create(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk,
                                team=team, level=level)
