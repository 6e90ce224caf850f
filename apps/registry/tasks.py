"""Registry tasks: importing a version into its canonical `.sou` (or pulling it from a hub),
and quantized exports. All are heavy, so they run on the `train` queue with the GPU-capable
workers."""

from celery import shared_task


# Imports and pulls take their version's lease as their task id: a redelivered message keeps
# it, so it takes over its own lease and counts one more attempt (import_lease.py).
@shared_task(bind=True, name="registry.model_version_import_task")
def model_version_import_task(self, version_id: int) -> str:
    from .services import model_version_import

    return model_version_import(version_id=version_id, execution_id=self.request.id or "eager").status


@shared_task(name="registry.model_export_task")
def model_export_task(export_id: int) -> str:
    from .services import model_export_run

    return model_export_run(export_id=export_id).status


@shared_task(name="registry.model_evaluation_task")
def model_evaluation_task(run_id: int) -> str:
    from .evaluation import model_evaluation_run

    return model_evaluation_run(run_id=run_id)


@shared_task(bind=True, name="registry.model_version_pull_task")
def model_version_pull_task(self, version_id: int) -> str:
    from .hub_services import model_version_pull_run

    version = model_version_pull_run(version_id=version_id, execution_id=self.request.id or "eager")
    return version.status if version is not None else "gone"
