"""Access-matrix cases for the training-run routes (apps/core/ownership.py): a training run
is reached through its experiment; cancelling and resuming it need run access."""

from apps.core.ownership import Case
from apps.datasets.models import Dataset, DatasetVersion
from apps.experiments.models import Experiment, Run
from apps.training.models import TrainingRun

MARKER = "owner-private-training"


def _training_run(user, **fields):
    dataset = Dataset.objects.create(owner=user, name="d")
    version = DatasetVersion.objects.create(
        owner=user, dataset=dataset, number=1, filename="d.txt", format="txt", sha256="0" * 64,
        size_bytes=1, status="valid",
    )
    experiment = Experiment.objects.create(owner=user, name="owner-private-experiment")
    run = Run.objects.create(owner=user, experiment=experiment, name=MARKER)
    training_run = TrainingRun.objects.create(
        owner=user, run=run, dataset_version=version, config={}, max_steps=10, **fields
    )
    return {"training_run_id": training_run.pk}, MARKER


def _stopped_training_run(user):
    return _training_run(user, status=TrainingRun.Status.CANCELLED)


OWNED_ROUTES = {
    "api-v1:training-run-list": Case(setup=_training_run),
    "api-v1:training-run-detail": Case(setup=_training_run),
    "api-v1:training-run-cancel": Case(setup=_training_run, methods={"post": None}, actions={"post": "run"}),
    "api-v1:training-run-resume": Case(setup=_stopped_training_run, methods={"post": {}},
                                       actions={"post": "run"}),
    "api-v1:training-run-log": Case(setup=_training_run),
}
