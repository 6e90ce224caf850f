"""App configuration for personalities: keeps the built-ins in step with ml after migrate."""

from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete, post_migrate


def _sync_builtins(sender, **kwargs) -> None:
    from .services import personality_builtins_sync

    personality_builtins_sync()


def _remove_files(sender, instance, **kwargs) -> None:
    """An application's working folder goes with its row (deleted or cascaded away), once the
    deletion commits. An evaluation's report and chart are stored files: apps.quotas.released
    gives back their bytes and removes them."""
    from . import storage

    path = storage.application_dir(instance.owner_id, instance.pk)
    transaction.on_commit(lambda: storage.remove_tree(path))


class PersonalitiesConfig(AppConfig):
    name = "apps.personalities"
    label = "personalities"

    def ready(self) -> None:
        post_migrate.connect(_sync_builtins, sender=self, dispatch_uid="personalities-builtins")
        post_delete.connect(_remove_files, sender=self.get_model("PersonalityApplication"),
                            dispatch_uid="personalities-files-PersonalityApplication")
