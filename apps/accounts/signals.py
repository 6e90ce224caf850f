"""Ending a user's WebSockets with their credentials: logout closes the session's sockets;
a saved or deleted user (a new password, deactivation) has every socket re-check its session or
token; a token revoked or deleted, wherever (the API, the admin, a cascade), closes the sockets
opened with it, and any other change to it (its expiry) has them re-check it. A bulk update
skips these signals: ApiToken's queryset sends its own. Events go out after commit."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from apps.core.ws_auth import (
    sockets_close_for_session,
    sockets_close_for_token,
    sockets_recheck_for_token,
    sockets_recheck_for_user,
)

from .models import ApiToken, User


@receiver(user_logged_out)
def _close_the_sessions_sockets(sender, request, user, **kwargs):
    session_key = request.session.session_key
    if user is not None and session_key:
        transaction.on_commit(lambda: sockets_close_for_session(session_key))


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def _recheck_the_users_sockets(sender, instance, created=False, update_fields=None, **kwargs):
    # A login only stamps last_login; a new user has no sockets yet.
    if created or update_fields == frozenset({"last_login"}):
        return
    user_id = instance.pk
    transaction.on_commit(lambda: sockets_recheck_for_user(user_id))


@receiver(post_save, sender=ApiToken)
def _end_or_recheck_the_tokens_sockets(sender, instance, created=False, **kwargs):
    if created:
        return  # no socket has used it yet
    token_id = instance.pk
    ended = instance.revoked_at is not None
    transaction.on_commit(
        lambda: (sockets_close_for_token if ended else sockets_recheck_for_token)(token_id))


@receiver(post_delete, sender=ApiToken)
def _close_the_deleted_tokens_sockets(sender, instance, **kwargs):
    token_id = instance.pk
    transaction.on_commit(lambda: sockets_close_for_token(token_id))
