"""Personality tasks: training a neural personality's persona space, applying a personality
to a model version and evaluating one, all on the `train` queue with the other heavy work."""

from celery import shared_task


@shared_task(name="personalities.personality_train_task")
def personality_train_task(version_id: int) -> str:
    from .services import personality_version_train

    return personality_version_train(version_id=version_id).status


@shared_task(bind=True, name="personalities.personality_application_execute_task")
def personality_application_execute_task(self, application_id: int) -> str | None:
    from .applications import personality_application_execute

    # A redelivered message keeps its task id, so it may take over its own lease.
    application = personality_application_execute(application_id=application_id,
                                                  execution_id=self.request.id or "eager")
    return application.status if application else None


@shared_task(bind=True, name="personalities.personality_evaluation_execute_task")
def personality_evaluation_execute_task(self, evaluation_id: int) -> str | None:
    from .evaluations import personality_evaluation_execute

    evaluation = personality_evaluation_execute(evaluation_id=evaluation_id,
                                                execution_id=self.request.id or "eager")
    return evaluation.status if evaluation else None
