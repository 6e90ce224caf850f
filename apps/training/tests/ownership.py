"""Ownership-matrix cases for the training-run routes."""

from apps.core.ownership import Case
from apps.datasets.models import Dataset, DatasetVersion
from apps.experiments.models import Experiment, Run
from apps.training.models import TrainingRun


def _training_run(user):
    dataset = Dataset.objects.create(owner=user, name="d")
    version = DatasetVersion.objects.create(
        owner=user, dataset=dataset, number=1, filename="d.txt", format="txt", sha256="0" * 64,
        size_bytes=1, status="valid",
    )
    experiment = Experiment.objects.create(owner=user, name="owner-private-experiment")
    run = Run.objects.create(owner=user, experiment=experiment, name="owner-private-training")
    training_run = TrainingRun.objects.create(
        owner=user, run=run, dataset_version=version, config={}, max_steps=10
    )
    return {"training_run_id": training_run.pk}, "owner-private-training"


OWNED_ROUTES = {
    "api-v1:training-run-list": Case(setup=_training_run),
    "api-v1:training-run-detail": Case(setup=_training_run),
    "api-v1:training-run-cancel": Case(setup=_training_run, methods={"post": None}),
    "api-v1:training-run-resume": Case(setup=_training_run, methods={"post": {}}),
    "api-v1:training-run-log": Case(setup=_training_run),
}
