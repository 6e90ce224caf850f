"""Users sign in with their email address; API tokens are stored only as hashes, and a bulk
update that may end tokens tells the WebSockets opened with them."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models, transaction

from apps.core.models import OwnedModel
from apps.core.ws_auth import sockets_recheck_for_token


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    def __str__(self) -> str:
        return self.email

    @transaction.atomic
    def delete(self, *args, **kwargs):
        # What they made in teams (and in others' shared roots) stays there with a successor
        # as its owner, rather than going with them in the cascade.
        from apps.teams.departure import team_work_hand_over

        team_work_hand_over(self)
        return super().delete(*args, **kwargs)


class ApiTokenQuerySet(models.QuerySet):
    # Fields whose change can end a token (or move its end).
    ENDING_FIELDS = frozenset({"revoked_at", "expires_at", "owner", "owner_id"})

    def update(self, **fields):
        """An update skips save() and with it the signals that end a token's sockets
        (apps.accounts.signals), so one that can end tokens asks their sockets to re-check
        them itself, after commit."""
        if not self.ENDING_FIELDS & fields.keys():
            return super().update(**fields)
        token_ids = list(self.values_list("pk", flat=True))
        updated = super().update(**fields)

        def recheck() -> None:
            for token_id in token_ids:
                sockets_recheck_for_token(token_id)

        transaction.on_commit(recheck)
        return updated


class ApiToken(OwnedModel):
    """A personal access token: `sg_<prefix>_<secret>`. The prefix identifies the row and
    is shown in lists; only the SHA-256 of the whole token is kept."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"
