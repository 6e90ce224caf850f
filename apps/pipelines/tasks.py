"""Recipe runs and feature materializations, on the `default` queue: both stream their
inputs in constant memory and report progress on the owner's socket."""

from celery import shared_task


@shared_task(bind=True, name="pipelines.recipe_run_execute_task")
def recipe_run_execute_task(self, run_id: int) -> str:
    from .services import recipe_run_execute

    # A redelivered message keeps its task id, so it may take over its own lease.
    return recipe_run_execute(run_id=run_id, execution_id=self.request.id or "eager")


@shared_task(bind=True, name="pipelines.features_materialize_task")
def features_materialize_task(self, materialization_id: int) -> str:
    from .services import features_materialize

    return features_materialize(materialization_id=materialization_id, execution_id=self.request.id or "eager")
