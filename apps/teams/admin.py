"""Staff views of teams (with their members), invitations, shares and the audit log, which
nobody edits."""

from django.contrib import admin

from .models import AuditEvent, Invitation, Membership, Share, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "created_by", "created_at"]
    search_fields = ["name", "memberships__user__email"]
    inlines = [MembershipInline]
    raw_id_fields = ["created_by"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Which teams a person belongs to, searchable by address; changed on the team's page."""

    list_display = ["user", "team", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "team__name"]
    list_select_related = ["user", "team"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "team", "role", "invited_by", "expires_at", "accepted_at", "revoked_at"]
    search_fields = ["email", "team__name"]
    list_filter = ["role"]
    # The token hash is useless to staff and would only help someone guess links.
    exclude = ["token_sha256"]
    readonly_fields = ["team", "email", "role", "invited_by", "expires_at", "accepted_at", "accepted_by",
                       "created_at"]


@admin.register(Share)
class ShareAdmin(admin.ModelAdmin):
    list_display = ["content_type", "object_id", "team", "level", "shared_by", "created_at"]
    list_filter = ["level", "content_type"]
    search_fields = ["team__name"]
    raw_id_fields = ["team", "shared_by"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "actor", "team", "target_type", "target_name", "ip"]
    list_filter = ["action"]
    search_fields = ["actor__email", "team__name", "target_name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
