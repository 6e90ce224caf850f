"""A fine-tune's execution: LoRA adapters trained over the base's file, which the run links
into its folder, so a resumed run keeps its base after the version is deleted."""

from pathlib import Path

import pytest

from apps.chat.tests.factories import model_version
from apps.registry import storage
from apps.training import services
from apps.training.models import TrainingRun

from .test_fine_tune import URL, _create, fine_tune_config, pairs_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def test_a_lora_run_trains_adapters_and_resumes_with_its_base_after_the_version_is_deleted(owner, api_client_for):
    # given a LoRA run of the owner's ready version on instruction pairs
    base = model_version(owner, name="tiny")
    client = api_client_for(owner)
    created = _create(client, pairs_version(owner), base, config=fine_tune_config(max_iters=4, lora={"r": 2})).json()
    # when it executes
    status = services.training_run_execute(training_run_id=created["id"], execution_id="f1")
    # then it trained adapters over the base, linked into its folder rather than copied
    training_run = TrainingRun.objects.get(pk=created["id"])
    assert status == "finished", training_run.error
    pinned = services._run_dir(training_run) / "base.sou"
    canonical = storage.canonical_sou(owner.pk, base.pk)
    assert pinned.stat().st_ino == canonical.stat().st_ino
    assert (Path(training_run.last_checkpoint) / "adapter.safetensors").is_file()
    # and when the base version is deleted, resuming continues from the run's own base
    base.delete()
    client.post(f"{URL}{created['id']}/resume/", {"extra_steps": 2}, format="json")
    assert services.training_run_execute(training_run_id=created["id"], execution_id="f2") == "finished"
    training_run.refresh_from_db()
    assert training_run.step == 6 and training_run.attempts == 2
    assert client.get(f"{URL}{created['id']}/").json()["base_model_version"] is None
