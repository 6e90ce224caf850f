"""App configuration for sweeps: connects the training runs' observers and end and delete signals."""

from django.apps import AppConfig


class SweepsConfig(AppConfig):
    name = "apps.sweeps"
    label = "sweeps"

    def ready(self) -> None:
        from django.db.models.signals import post_save, pre_delete

        from apps.training import services as training_services
        from apps.training.models import TrainingRun

        from . import pruning

        training_services.RUN_OBSERVERS.append(pruning.observer_for)
        post_save.connect(pruning.training_run_saved, sender=TrainingRun,
                          dispatch_uid="sweeps.training_run_saved")
        pre_delete.connect(pruning.training_run_deleting, sender=TrainingRun,
                           dispatch_uid="sweeps.training_run_deleting")
