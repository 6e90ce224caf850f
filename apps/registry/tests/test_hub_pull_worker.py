"""A hub pull on a real Celery worker: the API's pull is downloaded from the hub stand-in,
converted and made ready by the worker without anyone calling the task by hand."""

import time

import pytest

from apps.registry.models import ModelVersion, RegisteredModel
from tests.hub_stand_in import StandInRepo, hub_stand_in
from tests.ml.infer.factories import hf_dir

pytestmark = [pytest.mark.slow, pytest.mark.worker]


def _wait_until_settled(version_id: int, timeout: float = 180) -> ModelVersion:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        version = ModelVersion.objects.get(pk=version_id)
        if version.status != ModelVersion.Status.IMPORTING:
            return version
        time.sleep(0.5)
    raise AssertionError(f"version {version_id} still importing after {timeout} s")


def test_a_pull_is_downloaded_and_imported_by_the_worker(celery_worker_process, make_user, api_client_for,
                                                          settings, tmp_path):
    # given a tiny LLaMA repo on the hub and a user's model
    owner = make_user()
    model = RegisteredModel.objects.create(owner=owner, name="from-the-hub")
    with hub_stand_in(StandInRepo("acme/tiny-llama", hf_dir(tmp_path / "repo", "llama"))) as hub:
        settings.SLOUGHGPT_HUB_ENDPOINT = hub.endpoint
        # when the user pulls it
        created = api_client_for(owner).post(f"/api/v1/models/{model.pk}/hub/pull/",
                                             {"repo_id": "acme/tiny-llama"}, format="json")
        version = _wait_until_settled(created.json()["id"])
    # then the worker fetched the weights and made it ready
    assert created.status_code == 201, created.content
    assert version.status == ModelVersion.Status.READY, version.error
    assert version.hub_pull.bytes_done == version.hub_pull.bytes_total > 0
    assert hub.served["model.safetensors"] == (tmp_path / "repo" / "model.safetensors").stat().st_size
