"""The API side of "yours / shared with you", the same on every list of a shareable kind:
the `scope` query parameter and the `access_role` each row carries (apps.core.access)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from .access import SCOPES

ACCESS_ROLES = ("owner", "team_owner", "team_admin", "team_member", "team_viewer", "write", "read", "public")

SCOPE_PARAMETER = OpenApiParameter(
    "scope", str, enum=list(SCOPES),
    description="mine: your own private objects; shared: those others share with you or your "
    "teams own; omitted: both.",
)


def access_role_field() -> serializers.ChoiceField:
    """The requesting user's access to the row (its root's, for a child): what the UI may offer."""
    return serializers.ChoiceField(
        choices=ACCESS_ROLES, read_only=True,
        help_text="owner: your own private object; team_owner/team_admin/team_member/team_viewer: "
        "a team you belong to owns it, with that role; write/read: shared with a team of yours; "
        "public: built in.",
    )


def scope_of(request) -> str | None:
    """The list's `scope` query parameter (checked by apps.core.access.access_scope)."""
    return request.query_params.get("scope") or None
