"""Dataset tasks: validation of an uploaded version."""

from celery import shared_task


@shared_task(name="datasets.dataset_version_validate_task")
def dataset_version_validate_task(version_id: int) -> str:
    from .services import dataset_version_validate

    return dataset_version_validate(version_id=version_id).status
