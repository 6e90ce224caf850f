"""Staff administration of users and their API tokens (hashes are never shown). The admin's
sign-in shares the site login's limits (apps.accounts.login)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .login import AdminLoginForm, admin_login
from .models import ApiToken, User

admin.site.login_form = AdminLoginForm
admin.site.login = admin_login(admin.site.login)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "is_staff", "is_active", "date_joined", "last_login"]
    search_fields = ["email"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def delete_queryset(self, request, queryset):
        # One by one through User.delete, which hands their team work over first.
        for user in queryset:
            user.delete()


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "owner", "created_at", "last_used_at", "revoked_at"]
    search_fields = ["name", "prefix", "owner__email"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    exclude = ["token_hash"]
