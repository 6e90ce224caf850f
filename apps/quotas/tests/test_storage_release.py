"""What a delete gives back is what was charged for the files it removes: a training run's
checkpoints go (and count no more) with its run or experiment, registering a run's checkpoint
as a model version charges the copy that deleting the model gives back, and a reader's
fine-tune linking the owner's model file changes nothing of what the owner gets back."""

from __future__ import annotations

import os

import pytest

from apps.chat.tests.factories import model_version
from apps.experiments.tests.factories import make_run
from apps.quotas.accounts import account_for_user, account_of
from apps.quotas.storage import storage_counting, storage_recompute, storage_used
from apps.registry import storage as registry_storage
from apps.training.models import TrainingRun
from apps.training.storage import training_run_dir
from apps.training.tests.factories import valid_dataset_version

pytestmark = pytest.mark.django_db
CHECKPOINT_BYTES = 700


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _trained_run(user) -> TrainingRun:
    """A finished training run whose worker wrote a 700-byte checkpoint into its folder."""
    run = make_run(user)
    training_run = TrainingRun.objects.create(owner=user, run=run, dataset_version=valid_dataset_version(user),
                                              config={}, max_steps=1, status=TrainingRun.Status.FINISHED)
    folder = training_run_dir(training_run)
    with storage_counting(account_of(training_run), folder):
        (folder / "best").mkdir(parents=True)
        (folder / "best" / "model.safetensors").write_bytes(b"\0" * (CHECKPOINT_BYTES - 100))
        (folder / "best" / "config.json").write_text("{" + " " * 98 + "}")
    training_run.best_checkpoint = training_run.last_checkpoint = str(folder / "best")
    training_run.save()
    return training_run


@pytest.mark.parametrize("route", ["runs", "experiments"])
def test_deleting_a_trained_run_frees_its_checkpoint_bytes_and_folder(
        route, make_user, api_client_for, django_capture_on_commit_callbacks):
    # given a run whose training wrote a checkpoint, counted against its owner
    user = make_user()
    training_run = _trained_run(user)
    used_before = storage_used(account_for_user(user))
    folder = training_run_dir(training_run)
    target = training_run.run_id if route == "runs" else training_run.run.experiment_id
    # when the run, or its whole experiment, is deleted
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(user).delete(f"/api/v1/{route}/{target}/")
    # then the checkpoint counts no more and its folder is gone
    assert response.status_code == 204
    assert storage_used(account_for_user(user)) == used_before - CHECKPOINT_BYTES
    assert not folder.exists()


def test_registering_a_run_checkpoint_and_deleting_the_model_leaves_usage_where_it_started(
        make_user, api_client_for):
    # given a trained run
    user = make_user()
    client = api_client_for(user)
    training_run = _trained_run(user)
    used_at_start = storage_used(account_for_user(user))
    for _ in range(3):
        # when its checkpoint is registered as a model, which is then deleted
        created = client.post("/api/v1/model-versions/from-run/",
                              {"training_run_id": training_run.pk, "name": "from-run"}, format="json")
        registered = storage_used(account_for_user(user))
        deleted = client.delete(f"/api/v1/models/{created.json()['registered_model']}/")
        # then the copy was charged, and the delete gave back just that
        assert (created.status_code, deleted.status_code) == (201, 204)
        assert registered == used_at_start + CHECKPOINT_BYTES
        assert storage_used(account_for_user(user)) == used_at_start


def test_a_checkpoint_copy_past_the_quota_is_refused_and_leaves_nothing(make_user, api_client_for):
    # given a trained run and a quota with no room for a copy of its checkpoint
    from .factories import override

    user = make_user()
    training_run = _trained_run(user)
    override(user=user, storage_bytes=storage_used(account_for_user(user)) + 10)
    # when its checkpoint is registered
    response = api_client_for(user).post("/api/v1/model-versions/from-run/",
                                         {"training_run_id": training_run.pk, "name": "from-run"}, format="json")
    # then it is a 413 and no copy stays on disk
    assert response.status_code == 413
    assert not list(registry_storage.owner_root(user.pk).glob("*/source"))


def test_a_readers_linked_copy_of_a_model_file_changes_nothing_the_owner_gets_back(make_user, api_client_for):
    # given the owner's model, counted against the owner
    owner, reader = make_user(), make_user()
    version = model_version(owner)
    storage_recompute()
    assert storage_used(account_for_user(owner)) > 0
    # and a reader's fine-tune that linked its file into the reader's run folder
    pinned = training_run_dir(_trained_run(reader)) / "base.sou"
    os.link(registry_storage.canonical_sou(owner.pk, version.pk), pinned)
    # when the owner deletes the model
    response = api_client_for(owner).delete(f"/api/v1/models/{version.registered_model_id}/")
    # then the owner gets every byte back
    assert response.status_code == 204
    assert storage_used(account_for_user(owner)) == 0
