"""App configuration for quotas: plans, per-account limits and what each account has used."""

from django.apps import AppConfig


class QuotasConfig(AppConfig):
    name = "apps.quotas"
    label = "quotas"

    def ready(self):
        # Plans and overrides change in the admin, the staff API and migrations alike.
        from django.db.models.signals import post_delete, post_save

        from .limits import invalidate_on_commit
        from .models import AccountQuota, Plan

        for model in (Plan, AccountQuota):
            post_save.connect(invalidate_on_commit, sender=model, dispatch_uid=f"quotas-{model.__name__}-save")
            post_delete.connect(invalidate_on_commit, sender=model, dispatch_uid=f"quotas-{model.__name__}-delete")

        from .released import connect

        connect()  # deleting a stored row gives its bytes back
