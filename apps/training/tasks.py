"""Training tasks, on the `train` queue."""

from celery import shared_task


@shared_task(bind=True, name="training.training_run_execute_task")
def training_run_execute_task(self, training_run_id: int) -> str:
    from .services import training_run_execute

    # A redelivered message keeps its task id, so it may take over its own lease.
    return training_run_execute(training_run_id=training_run_id, execution_id=self.request.id or "eager")
