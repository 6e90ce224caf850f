"""Reads for teams: the teams a user belongs to, their members and pending invitations, who
can see a shared object, and the audit log. A team is visible to its members only; anyone
else gets the same 404 as for a team that does not exist."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from rest_framework.exceptions import NotFound, PermissionDenied

from apps.core.access import Action, access_annotate, access_get, access_queryset, shareable_root

from .models import AuditEvent, Invitation, Membership, Role, Share, Team

# The kinds of objects that can be shared, as clients name them, and their root models.
SHAREABLE_KINDS: dict[str, str] = {
    "dataset": "datasets.Dataset",
    "experiment": "experiments.Experiment",
    "model": "registry.RegisteredModel",
    "collection": "rag.Collection",
    "personality": "personalities.Personality",
    "conversation": "chat.Conversation",
    "recipe": "pipelines.Recipe",
}


def role_at_least(role: str, minimum: str) -> bool:
    """Whether `role` is `minimum` or above (Role lists the roles from least to most)."""
    order = list(Role)
    return order.index(Role(role)) >= order.index(Role(minimum))


def team_list(*, user) -> QuerySet[Team]:
    """The user's teams with their `role` in each and `member_count`."""
    mine = Membership.objects.filter(team=OuterRef("pk"), user=user)
    counts = (Membership.objects.filter(team=OuterRef("pk")).order_by().values("team")
              .annotate(n=Count("pk")).values("n"))
    return (Team.objects.filter(pk__in=Membership.objects.filter(user=user).values("team_id"))
            .annotate(role=Subquery(mine.values("role")[:1]), member_count=Subquery(counts)))


def membership_get(*, user, team_id, minimum: str = Role.VIEWER) -> Membership:
    """The user's membership of this team: 404 if they are not in it, 403 if their role is
    below `minimum`."""
    membership = Membership.objects.select_related("team").filter(team_id=team_id, user=user).first()
    if membership is None:
        raise NotFound(f"No team with id {team_id}.")
    if not role_at_least(membership.role, minimum):
        raise PermissionDenied(f"This needs the team's {minimum} role or above; you are a {membership.role}.")
    return membership


def team_get(*, user, team_id) -> Team:
    """The team with the user's `role` in it and `member_count`, if they are a member."""
    team = team_list(user=user).filter(pk=team_id).first() if str(team_id).isdigit() else None
    if team is None:
        raise NotFound(f"No team with id {team_id}.")
    return team


def member_list(*, team: Team) -> QuerySet[Membership]:
    return team.memberships.select_related("user").order_by("user__email")


def invitation_list(*, user, team_id) -> QuerySet[Invitation]:
    """The team's invitations neither accepted nor revoked (expired ones included, so admins
    see why a link stopped working); for the team's admins and owners."""
    membership_get(user=user, team_id=team_id, minimum=Role.ADMIN)
    return Invitation.objects.filter(team_id=team_id, accepted_at__isnull=True, revoked_at__isnull=True
                                     ).select_related("invited_by")


def shareable_get(*, user, kind: str, object_id, action: Action = Action.READ):
    """The shareable object of `kind` with this id, if the user may do `action` to it."""
    if kind not in SHAREABLE_KINDS:
        raise NotFound(f"Objects of kind '{kind}' cannot be shared; the kinds are {', '.join(SHAREABLE_KINDS)}.")
    model = shareable_root(SHAREABLE_KINDS[kind])
    return access_get(access_annotate(model.objects.all(), user=user), user=user, pk=object_id, action=action)


@dataclass(frozen=True)
class ShareInfo:
    team_id: int
    team_name: str
    level: str
    created_at: object


@dataclass(frozen=True)
class Visibility:
    """Who can see one object: its owner (a user, or a team) and the teams it is shared with."""

    kind: str
    id: int
    name: str
    owner_email: str | None  # the user who owns it while it is private
    team_id: int | None  # the team that owns it
    team_name: str | None
    shares: list[ShareInfo]
    access_role: str  # the caller's access (apps.core.access.access_annotate)


def visibility_get(*, user, kind: str, object_id) -> Visibility:
    """Who can see the object. Every share is listed only to those who may change them (its
    owner, its team's admins); anyone else it is shared with sees the shares that reach them,
    not which other teams it is shared with."""
    obj = shareable_get(user=user, kind=kind, object_id=object_id)
    team = getattr(obj, "team", None)
    shares = Share.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
                                  ).select_related("team").order_by("team__name")
    if not access_queryset(type(obj), user=user, action=Action.SHARE).filter(pk=obj.pk).exists():
        shares = shares.filter(team__memberships__user=user)
    owner = getattr(obj, "owner", None)
    return Visibility(
        kind=kind, id=obj.pk, name=str(getattr(obj, "name", None) or getattr(obj, "title", None) or obj),
        owner_email=owner.email if owner is not None and team is None else None,
        team_id=team.pk if team is not None else None, team_name=team.name if team is not None else None,
        shares=[ShareInfo(team_id=s.team_id, team_name=s.team.name, level=s.level, created_at=s.created_at)
                for s in shares],
        access_role=obj.access_role,
    )


def audit_event_list(*, user, team_id=None, actor_id=None, action: str | None = None) -> QuerySet[AuditEvent]:
    """Staff see every event; others the events of teams they administer or own, and their
    own actions."""
    events = AuditEvent.objects.select_related("actor", "team")
    if not user.is_staff:
        administered = Membership.objects.filter(user=user, role__in=[Role.ADMIN, Role.OWNER]).values("team_id")
        events = events.filter(Q(actor=user) | Q(team__in=administered))
    if team_id is not None:
        events = events.filter(team_id=team_id)
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if action:
        events = events.filter(action=action)
    return events
