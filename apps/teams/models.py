"""Teams and what they hold: a `Team` with `Membership`s at a role, `Invitation`s sent by
e-mail, `Share`s of one user's object with a team at a level, and the `AuditEvent`s that
record who changed access to what.

Who may do what is decided in one place, `apps.core.access`; these rows are its data.
Objects move into a team's ownership by their own `team` field (the shareable roots:
datasets, experiments, registered models, collections, personalities)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models


class Role(models.TextChoices):
    # Ordered from least to most; apps.core.access.ROLE_ACTIONS says what each may do.
    VIEWER = "viewer"
    MEMBER = "member"
    ADMIN = "admin"
    OWNER = "owner"


class ShareLevel(models.TextChoices):
    READ = "read"  # see it and use it as an input (train on it, chat with it)
    WRITE = "write"  # also edit it, add to it, run training in it


class Team(models.Model):
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team_id", "id"]
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="membership_unique_user")]
        indexes = [models.Index(fields=["user", "role"], name="membership_user_role")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


class Invitation(models.Model):
    """An e-mailed link to join a team at a role. Only the token's sha256 is stored; the
    link works once, until `expires_at`, for a verified address equal to `email`."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    token_sha256 = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.email} to {self.team}"


class Share(models.Model):
    """One shareable root object (see apps.core.access.ROOTS) shared with a team."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.BigIntegerField()
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="shares")
    level = models.CharField(max_length=8, choices=ShareLevel.choices)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "team"], name="share_unique_team"),
        ]
        indexes = [models.Index(fields=["team", "content_type", "level"], name="share_team_kind")]

    def __str__(self) -> str:
        return f"{self.content_type.model} {self.object_id} with {self.team} ({self.level})"


class AuditEvent(models.Model):
    """Who changed access to what, when and from where. Written by `apps.teams.audit`;
    never edited. `team` is set where a team's admins should see it."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=50)  # e.g. "share.set", "member.role", "model.promote"
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    target_type = models.CharField(max_length=50, blank=True)  # e.g. "dataset", "membership"
    target_id = models.BigIntegerField(null=True, blank=True)
    target_name = models.CharField(max_length=200, blank=True)  # kept if the target goes
    details = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["team", "-created_at"], name="audit_team_time")]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_id} at {self.created_at:%Y-%m-%d %H:%M}"
