"""App configuration for personalities: keeps the built-ins in step with ml after migrate."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_builtins(sender, **kwargs) -> None:
    from .services import personality_builtins_sync

    personality_builtins_sync()


class PersonalitiesConfig(AppConfig):
    name = "apps.personalities"
    label = "personalities"

    def ready(self) -> None:
        post_migrate.connect(_sync_builtins, sender=self, dispatch_uid="personalities-builtins")
