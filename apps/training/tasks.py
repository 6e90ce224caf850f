"""Training tasks: executing a run on the `train` queue (sent only by apps.training.dispatch),
one more node of a multi-node execution (sent by node 0's execution, also on `train`)
and the dispatcher's safety-net pass on `default`."""

from celery import shared_task


@shared_task(bind=True, name="training.training_run_execute_task")
def training_run_execute_task(self, training_run_id: int) -> str:
    from .services import training_run_execute

    # A redelivered message keeps its task id, so it may take over its own lease; the task id
    # is also the hand-over it was sent for, which a later hand-over replaces.
    task_id = self.request.id or "eager"
    return training_run_execute(training_run_id=training_run_id, execution_id=task_id, dispatch_id=task_id)


@shared_task(name="training.training_dispatch_task")
def training_dispatch_task() -> list[int]:
    from .dispatch import dispatch

    return dispatch()


@shared_task(name="training.training_run_node_task")
def training_run_node_task(training_run_id: int, node_rank: int, execution_id: str) -> str:
    from .services import training_run_node_execute

    return training_run_node_execute(training_run_id=training_run_id, node_rank=node_rank,
                                     execution_id=execution_id)
