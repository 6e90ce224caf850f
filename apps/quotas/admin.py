"""Staff views of plans, per-account quotas and storage use. Changes to an account's plan or
overrides, and to a plan, are recorded in the audit log like the staff API's, and so is
deleting them."""

from django.contrib import admin

from .models import LIMIT_FIELDS, AccountQuota, Plan, StorageUsage
from .services import quota_change_record


def _values(obj, names) -> dict:
    return {name: getattr(obj, name) for name in names}


class _AuditedAdmin(admin.ModelAdmin):
    audited: tuple[str, ...] = ()

    def save_model(self, request, obj, form, change):
        before = _values(type(obj).objects.get(pk=obj.pk), self.audited) if change else dict.fromkeys(self.audited)
        super().save_model(request, obj, form, change)
        quota_change_record(actor=request.user, holder=self.holder(obj), before=_stringify(before),
                            after=_stringify(_values(obj, self.audited)))

    def delete_model(self, request, obj):
        self._record_deletion(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._record_deletion(request, obj)
        super().delete_queryset(request, queryset)

    def _record_deletion(self, request, obj):
        # The account goes back to the default plan's limits (or the plan is gone).
        quota_change_record(actor=request.user, holder=self.holder(obj),
                            before=_stringify(_values(obj, self.audited)), after=dict.fromkeys(self.audited))

    def holder(self, obj):
        return obj


def _stringify(values: dict) -> dict:
    return {key: value if value is None or isinstance(value, int) else str(value) for key, value in values.items()}


@admin.register(Plan)
class PlanAdmin(_AuditedAdmin):
    list_display = ["name", "is_default", *LIMIT_FIELDS]
    audited = ("name", "is_default", *LIMIT_FIELDS)


@admin.register(AccountQuota)
class AccountQuotaAdmin(_AuditedAdmin):
    list_display = ["__str__", "plan", *LIMIT_FIELDS]
    list_select_related = ["user", "team", "plan"]
    raw_id_fields = ["user", "team"]
    search_fields = ["user__email", "team__name"]
    audited = ("plan", *LIMIT_FIELDS)

    def holder(self, obj):
        return obj.user or obj.team


@admin.register(StorageUsage)
class StorageUsageAdmin(admin.ModelAdmin):
    list_display = ["__str__", "used_bytes", "ceiling_bytes", "updated_at"]
    readonly_fields = ["user", "team", "used_bytes", "ceiling_bytes"]
    search_fields = ["user__email", "team__name"]
