"""App configuration for personalities: keeps the built-ins in step with ml after migrate."""

from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete, post_migrate


def _sync_builtins(sender, **kwargs) -> None:
    from .services import personality_builtins_sync

    personality_builtins_sync()


def _remove_files(sender, instance, **kwargs) -> None:
    """An evaluation's report and chart, or an application's working folder, go with its row
    (deleted or cascaded away), once the deletion commits."""
    from . import storage

    folder = storage.evaluation_dir if sender.__name__ == "PersonalityEvaluation" else storage.application_dir
    path = folder(instance.owner_id, instance.pk)
    transaction.on_commit(lambda: storage.remove_tree(path))


class PersonalitiesConfig(AppConfig):
    name = "apps.personalities"
    label = "personalities"

    def ready(self) -> None:
        post_migrate.connect(_sync_builtins, sender=self, dispatch_uid="personalities-builtins")
        for name in ("PersonalityEvaluation", "PersonalityApplication"):
            post_delete.connect(_remove_files, sender=self.get_model(name), dispatch_uid=f"personalities-files-{name}")
