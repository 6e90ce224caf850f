"""Writes for teams: creating and deleting teams, members and their roles, invitations by
e-mail, sharing objects with teams and moving them into a team's ownership. Every change to
who can see or do what is written to the audit log (apps.teams.audit).

Rules kept here: a team always has an owner; admins manage members but never owners; an
invitation works once, before it expires, for a verified address equal to the invited one."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from rest_framework.exceptions import NotFound, PermissionDenied

from apps.core.access import READ_ONLY_ROOTS, Action, shareable_root
from apps.core.errors import Conflict, Gone
from apps.core.ws_auth import sockets_recheck_access
from apps.quotas.accounts import Account
from apps.quotas.storage import storage_move

from .audit import audit_record
from .models import Invitation, Membership, Role, Share, ShareLevel, Team
from .selectors import SHAREABLE_KINDS, membership_get, role_at_least, shareable_get

LAST_OWNER = "A team needs an owner: transfer ownership to another member first, or delete the team."


def _token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mask_email(email: str) -> str:
    """`j***@example.com`: enough for its owner to recognise, not enough to learn it."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def _locked_team(team_id) -> Team:
    # Membership changes lock the team row, so two of them cannot both remove "the other"
    # owner; the caller's own membership is read after it (a change that waited for the lock
    # sees the role the change before it left).
    team = Team.objects.select_for_update().filter(pk=team_id).first()
    if team is None:
        raise NotFound(f"No team with id {team_id}.")
    return team


def _owned_teams_check(user, *, field: str) -> None:
    """Refuses (400 on `field`) to make `user` the owner of one more team past
    SLOUGHGPT_TEAMS_PER_USER: each team is an account with its own quotas."""
    limit = settings.SLOUGHGPT_TEAMS_PER_USER
    if Membership.objects.filter(user=user, role=Role.OWNER).count() >= limit:
        raise ValidationError({field: [f"{user.email} already owns {limit} teams, the most one person may own; "
                                       "hand one over or delete one first."]})


def _may_invite(inviter_role: str | None, role: str) -> bool:
    """Whether a member at `inviter_role` (None: no longer a member) may invite at `role`."""
    if inviter_role is None or not role_at_least(inviter_role, Role.ADMIN):
        return False
    return role != Role.OWNER or inviter_role == Role.OWNER


def _invitations_revoke_beyond(team: Team, inviter, role: str | None, *, actor) -> None:
    """Revokes the pending invitations `inviter` sent that their new `role` (None: they left
    or were removed) could not send: a link must not outlive its sender's right to send it."""
    pending = team.invitations.select_for_update().filter(invited_by=inviter, accepted_at__isnull=True,
                                                          revoked_at__isnull=True)
    for invitation in pending:
        if not _may_invite(role, invitation.role):
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at"])
            audit_record(actor=actor, action="invitation.revoke", target=invitation, team=team,
                         details={"email": invitation.email, "reason": "its sender can no longer invite"})


def _members(team: Team) -> list[int]:
    return list(team.memberships.values_list("user_id", flat=True))


def _other_owners(team: Team, user) -> bool:
    return team.memberships.filter(role=Role.OWNER).exclude(user=user).exists()


def _valid_role(role: str, field: str = "role") -> Role:
    if role not in Role.values:
        raise ValidationError({field: [f"'{role}' is not a role; the roles are {', '.join(Role.values)}."]})
    return Role(role)


# -- teams -------------------------------------------------------------------------------------
@transaction.atomic
def team_create(*, user, name: str, description: str = "") -> Team:
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["A team needs a name."]})
    _owned_teams_check(user, field="name")
    team = Team.objects.create(name=name, description=description.strip(), created_by=user)
    Membership.objects.create(team=team, user=user, role=Role.OWNER)
    audit_record(actor=user, action="team.create", target=team, team=team)
    return team


@transaction.atomic
def team_update(*, user, team_id, name: str | None = None, description: str | None = None) -> Team:
    team = membership_get(user=user, team_id=team_id, minimum=Role.ADMIN).team
    changes = {}
    if name is not None:
        if not name.strip():
            raise ValidationError({"name": ["A team needs a name."]})
        changes["name"] = [team.name, name.strip()]
        team.name = name.strip()
    if description is not None:
        team.description = description.strip()
    team.save()
    if "name" in changes:
        audit_record(actor=user, action="team.rename", target=team, team=team, details={"name": changes["name"]})
    return team


@transaction.atomic
def team_delete(*, user, team_id) -> None:
    """Deletes the team (owners only). Objects it owned become the deleting owner's private
    objects, their stored bytes counted against that owner from then on (409 naming one if
    the owner already has an object of that kind and name); its shares and invitations go
    with it, and its members' open sockets check their access again."""
    team = _locked_team(team_id)
    membership_get(user=user, team_id=team_id, minimum=Role.OWNER)
    members = _members(team)
    handed = []
    for kind, label in SHAREABLE_KINDS.items():
        model = shareable_root(label)
        if not hasattr(model, "team_id"):
            continue
        for obj in model.objects.select_for_update().filter(team=team).order_by("pk"):
            if _name_taken(obj, owner=user):
                raise Conflict(f"You already have a {kind} named '{obj.name}' and the team owns one too: rename "
                               "one (or move the team's out to another member) before deleting the team.")
            storage_move(obj, Account(user_id=user.pk))
            obj.team, obj.owner = None, user
            obj.save(update_fields=["team", "owner"])
            handed.append({"kind": kind, "id": obj.pk})
    audit_record(actor=user, action="team.delete", target=team, team=team,
                 details={"team_id": team.pk, "name": team.name, "handed_to": user.email, "objects": handed})
    team.delete()
    sockets_recheck_access(members)


@transaction.atomic
def team_transfer(*, user, team_id, new_owner_id) -> Membership:
    """Makes another member the owner; the previous owner stays on as an admin (the owner
    invitations they sent are revoked: an admin cannot invite an owner)."""
    team = _locked_team(team_id)
    membership_get(user=user, team_id=team_id, minimum=Role.OWNER)
    if str(new_owner_id) == str(user.pk):
        raise ValidationError({"user_id": ["You already own this team; name another member."]})
    target = team.memberships.select_related("user").filter(user_id=new_owner_id).first()
    if target is None:
        raise ValidationError({"user_id": [f"User {new_owner_id} is not a member of this team; invite them first."]})
    if target.role != Role.OWNER:
        _owned_teams_check(target.user, field="user_id")
    target.role = Role.OWNER
    target.save(update_fields=["role"])
    team.memberships.filter(user=user).update(role=Role.ADMIN)
    _invitations_revoke_beyond(team, user, Role.ADMIN, actor=user)
    audit_record(actor=user, action="team.transfer", target=team, team=team,
                 details={"from": user.email, "to": target.user.email})
    return target


# -- members -----------------------------------------------------------------------------------
def _managed_membership(*, user, team_id, member_id) -> tuple[Membership, Membership]:
    """(the caller's membership, the member's) for a change the caller makes to a member."""
    _locked_team(team_id)
    mine = membership_get(user=user, team_id=team_id, minimum=Role.ADMIN)
    target = Membership.objects.select_related("user").filter(team_id=team_id, user_id=member_id).first()
    if target is None:
        raise NotFound(f"User {member_id} is not a member of this team.")
    if target.role == Role.OWNER and mine.role != Role.OWNER:
        raise PermissionDenied("Only the team's owners can change or remove an owner.")
    return mine, target


@transaction.atomic
def member_role_set(*, user, team_id, member_id, role: str) -> Membership:
    role = _valid_role(role)
    mine, target = _managed_membership(user=user, team_id=team_id, member_id=member_id)
    if role == Role.OWNER and mine.role != Role.OWNER:
        raise PermissionDenied("Only the team's owners can make someone an owner.")
    if target.role == Role.OWNER and role != Role.OWNER and not _other_owners(mine.team, target.user):
        raise ValidationError({"role": [LAST_OWNER]})
    if role == Role.OWNER and target.role != Role.OWNER:
        _owned_teams_check(target.user, field="role")
    previous = target.role
    target.role = role
    target.save(update_fields=["role"])
    _invitations_revoke_beyond(mine.team, target.user, role, actor=user)
    audit_record(actor=user, action="member.role", target=target, team=mine.team,
                 details={"member": target.user.email, "from": previous, "to": role.value})
    return target


@transaction.atomic
def member_remove(*, user, team_id, member_id) -> None:
    mine, target = _managed_membership(user=user, team_id=team_id, member_id=member_id)
    if target.role == Role.OWNER and not _other_owners(mine.team, target.user):
        raise ValidationError({"user_id": [LAST_OWNER]})
    audit_record(actor=user, action="member.remove", target=target, team=mine.team,
                 details={"member": target.user.email, "role": target.role})
    _invitations_revoke_beyond(mine.team, target.user, None, actor=user)
    target.delete()
    sockets_recheck_access([target.user_id])


@transaction.atomic
def team_leave(*, user, team_id) -> None:
    _locked_team(team_id)
    mine = membership_get(user=user, team_id=team_id)
    if mine.role == Role.OWNER and not _other_owners(mine.team, user):
        raise ValidationError({"role": ["You are this team's only owner. " + LAST_OWNER]})
    audit_record(actor=user, action="member.leave", target=mine, team=mine.team, details={"role": mine.role})
    _invitations_revoke_beyond(mine.team, user, None, actor=user)
    mine.delete()
    sockets_recheck_access([user.pk])


# -- invitations -------------------------------------------------------------------------------
def _invitation_mail(invitation: Invitation, *, link: str, inviter) -> EmailMultiAlternatives:
    context = {"team": invitation.team, "role": invitation.role, "link": link, "inviter": inviter.email,
               "expires_at": invitation.expires_at}
    subject = " ".join(render_to_string("teams/email/invitation_subject.txt", context).split())
    body = render_to_string("teams/email/invitation_message.txt", context)
    return EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])


@transaction.atomic
def invitation_create(*, user, team_id, email: str, role: str, site_url: str) -> Invitation:
    """Invites `email` to the team at `role` (admins and owners) and mails them a link under
    `site_url` (the site's address as the inviter reached it). Only the link's hash is kept."""
    mine = membership_get(user=user, team_id=team_id, minimum=Role.ADMIN)
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": [f"'{email}' is not a valid e-mail address."]}) from None
    role = _valid_role(role)
    if role == Role.OWNER and mine.role != Role.OWNER:
        raise ValidationError({"role": ["Only the team's owners can invite an owner."]})
    team = _locked_team(team_id)
    members = team.memberships.filter(user__emailaddress__email__iexact=email) | team.memberships.filter(
        user__email__iexact=email)
    if members.exists():
        raise ValidationError({"email": [f"{email} is already a member of this team."]})
    pending = team.invitations.filter(email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True,
                                      expires_at__gt=timezone.now())
    if pending.exists():
        raise ValidationError({"email": [f"An invitation to {email} is already pending; revoke it to send a new one."]})
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        team=team, email=email, role=role, token_sha256=_token_sha256(token), invited_by=user,
        expires_at=timezone.now() + timedelta(days=settings.SLOUGHGPT_INVITATION_TTL_DAYS),
    )
    audit_record(actor=user, action="invitation.send", target=invitation, team=team,
                 details={"email": email, "role": role.value})
    # Sent inside the transaction: if the mail cannot be sent, no invitation exists that
    # nobody received.
    _invitation_mail(invitation, link=f"{site_url.rstrip('/')}/invitations/{token}", inviter=user).send()
    return invitation


@transaction.atomic
def invitation_revoke(*, user, invitation_id) -> Invitation:
    invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first() \
        if str(invitation_id).isdigit() else None
    if invitation is None or not Membership.objects.filter(team_id=invitation.team_id, user=user).exists():
        raise NotFound(f"No invitation with id {invitation_id}.")
    membership_get(user=user, team_id=invitation.team_id, minimum=Role.ADMIN)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise Conflict("This invitation was already used or revoked.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(actor=user, action="invitation.revoke", target=invitation, team=invitation.team,
                 details={"email": invitation.email})
    return invitation


def invitation_by_token(*, token: str, lock: bool = False) -> Invitation:
    """The invitation a link's token names, if it can still be accepted: 404 for a token
    that names none, 410 saying why for one revoked, used or expired."""
    invitations = Invitation.objects.select_related("team", "invited_by")
    if lock:
        invitations = invitations.select_for_update(of=("self",))
    invitation = invitations.filter(token_sha256=_token_sha256(token or "")).first()
    if invitation is None:
        raise NotFound("This invitation link is not valid; ask for a new one.")
    if invitation.revoked_at is not None:
        raise Gone("This invitation was revoked; ask the team's admins for a new one.")
    if invitation.accepted_at is not None:
        raise Gone("This invitation has already been used.")
    if invitation.expires_at <= timezone.now():
        raise Gone(f"This invitation expired on {invitation.expires_at:%Y-%m-%d %H:%M} UTC; "
                   "ask the team's admins for a new one.")
    return invitation


@transaction.atomic
def invitation_accept(*, user, token: str) -> Membership:
    """Joins the user to the invitation's team at its role; their verified addresses must
    include the one the invitation was sent to, and whoever sent it must still be a member
    who may invite at that role."""
    _locked_team(invitation_by_token(token=token).team_id)
    invitation = invitation_by_token(token=token, lock=True)
    inviter_role = Membership.objects.filter(team=invitation.team, user_id=invitation.invited_by_id
                                             ).values_list("role", flat=True).first()
    if invitation.invited_by_id is None or not _may_invite(inviter_role, invitation.role):
        raise Gone(f"Whoever sent this invitation can no longer invite {invitation.role}s to this team; "
                   "ask the team's admins for a new one.")
    verified = EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True).exists()
    if not verified:
        raise PermissionDenied(f"This invitation was sent to {mask_email(invitation.email)}: log in with that "
                               "address (verified) to accept it.")
    if Membership.objects.filter(team=invitation.team, user=user).exists():
        raise Conflict("You are already a member of this team.")
    if invitation.role == Role.OWNER:
        _owned_teams_check(user, field="token")
    membership = Membership.objects.create(team=invitation.team, user=user, role=invitation.role)
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(actor=user, action="invitation.accept", target=invitation, team=invitation.team,
                 details={"email": invitation.email, "role": invitation.role})
    return membership


# -- sharing -----------------------------------------------------------------------------------
def _member_team(*, user, team_id, minimum: str = Role.VIEWER) -> Team:
    """A team the user belongs to at `minimum` or above, named in a body's `team_id`."""
    membership = Membership.objects.select_related("team").filter(team_id=team_id, user=user).first() \
        if str(team_id).isdigit() else None
    if membership is None:
        raise ValidationError({"team_id": [f"You are not a member of team {team_id}."]})
    if not role_at_least(membership.role, minimum):
        raise ValidationError({"team_id": [f"Only {minimum}s and above of {membership.team.name} can do this; "
                                           f"you are a {membership.role}."]})
    return membership.team


@transaction.atomic
def share_set(*, user, kind: str, object_id, team_id, level: str) -> Share:
    """Shares the object with a team the user belongs to at `level` (or changes its level)."""
    obj = shareable_get(user=user, kind=kind, object_id=object_id, action=Action.SHARE)
    if level not in ShareLevel.values:
        raise ValidationError({"level": [f"'{level}' is not a share level; the levels are "
                                         f"{', '.join(ShareLevel.values)}."]})
    if obj._meta.label in READ_ONLY_ROOTS and level != ShareLevel.READ:
        raise ValidationError({"level": [f"A {kind} can only be shared to read."]})
    team = _member_team(user=user, team_id=team_id)
    if getattr(obj, "team_id", None) == team.pk:
        raise ValidationError({"team_id": [f"{team.name} already owns this {kind}."]})
    share, _ = Share.objects.update_or_create(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk, team=team,
        defaults={"level": level, "shared_by": user},
    )
    audit_record(actor=user, action="share.set", target=obj, team=team, details={"kind": kind, "level": level})
    return share


@transaction.atomic
def share_remove(*, user, kind: str, object_id, team_id) -> None:
    obj = shareable_get(user=user, kind=kind, object_id=object_id, action=Action.SHARE)
    share = Share.objects.select_related("team").filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk, team_id=team_id).first()
    if share is None:
        raise NotFound(f"This {kind} is not shared with team {team_id}.")
    audit_record(actor=user, action="share.remove", target=obj, team=share.team,
                 details={"kind": kind, "level": share.level})
    share.delete()
    sockets_recheck_access(_members(share.team))


def _name_taken(obj, *, owner) -> bool:
    """Whether giving `obj` to `owner` would break its kind's one-name-per-owner rule."""
    per_owner = any(set(getattr(c, "fields", ())) == {"owner", "name"} for c in obj._meta.constraints)
    return per_owner and (type(obj).objects.filter(owner=owner, team__isnull=True, name=obj.name)
                          .exclude(pk=obj.pk).exists())


@transaction.atomic
def object_move(*, user, kind: str, object_id, team_id):
    """Moves the object into a team's ownership (the user must be a member or above there),
    or with `team_id` None back to the user's private ownership (its team's admins only,
    which the share action already demands of a team's object). The object's row is locked
    before it is read, so of two identical moves at once the second finds it moved."""
    if kind in SHAREABLE_KINDS and str(object_id).isdigit():
        shareable_root(SHAREABLE_KINDS[kind]).objects.select_for_update().filter(pk=object_id).first()
    obj = shareable_get(user=user, kind=kind, object_id=object_id, action=Action.SHARE)
    if not hasattr(obj, "team_id"):
        raise ValidationError({"team_id": [f"A {kind} can be shared with a team but not moved into one."]})
    previous = obj.team
    losing = _members(previous) if previous is not None else []
    if team_id is None:
        if previous is None:
            raise ValidationError({"team_id": [f"This {kind} is already private to you."]})
        if _name_taken(obj, owner=user):
            raise ValidationError({"team_id": [f"You already have a {kind} named '{obj.name}'; rename one first."]})
        obj.team, obj.owner = None, user
    else:
        target = _member_team(user=user, team_id=team_id, minimum=Role.MEMBER)
        if previous is not None and previous.pk == target.pk:
            raise ValidationError({"team_id": [f"{target.name} already owns this {kind}."]})
        obj.team = target
        # Its own team reaches it through ownership; a share with it would say nothing more.
        for dropped in Share.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk,
                                            team=target):
            audit_record(actor=user, action="share.remove", target=obj, team=target,
                         details={"kind": kind, "level": dropped.level, "reason": "moved into the team"})
            dropped.delete()
    storage_move(obj, Account(team_id=obj.team_id) if obj.team_id else Account(user_id=obj.owner_id))
    obj.save(update_fields=["team", "owner"])
    details = {"kind": kind, "from_team": previous.name if previous else None,
               "to_team": obj.team.name if obj.team else None}
    for team in {t for t in (previous, obj.team) if t is not None}:
        audit_record(actor=user, action="object.move", target=obj, team=team, details=details)
    sockets_recheck_access(losing)
    return obj

