"""The audit log's one writer. Services call `audit_record` when they change who can see or
do what (sharing, roles, members, invitations, ownership), promote a model to production,
delete a shared kind of object, or override a quota. "From where" is the client address of
the request being served, which `AuditRequestMiddleware` makes known to services without
threading the request through them; work done outside a request (a worker) records none."""

from __future__ import annotations

from contextvars import ContextVar

from django.db import models

from apps.core.client_ip import client_ip

from .models import AuditEvent, Team

_request_ip: ContextVar[str | None] = ContextVar("audit_request_ip", default=None)


class AuditRequestMiddleware:
    """Remembers the client address for the audit events this request records."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_ip.set(client_ip(request) or None)
        try:
            return self.get_response(request)
        finally:
            _request_ip.reset(token)


def audit_record(*, actor, action: str, target: models.Model | None = None, team: Team | None = None,
                 details: dict | None = None) -> AuditEvent:
    """Records that `actor` did `action` (dotted, e.g. "share.set") to `target`. Events with a
    `team` are shown to that team's admins and owners; every event is shown to staff and to
    its actor."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        team=team,
        target_type=target._meta.model_name if target is not None else "",
        target_id=target.pk if target is not None else None,
        target_name=str(target)[:200] if target is not None else "",
        details=details or {},
        ip=_request_ip.get(),
    )
