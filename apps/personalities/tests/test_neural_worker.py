"""Neural personalities on a real Celery worker: the version trains on the `train` queue,
reports progress and each epoch's loss, stores its space as safetensors + JSON, and scores."""

import time

import pytest

from apps.personalities import services, storage
from apps.personalities.models import PersonalityVersion

from .factories import CHEERFUL

pytestmark = [pytest.mark.slow, pytest.mark.worker]


def _wait_until_settled(version_id: int, timeout: float = 300) -> PersonalityVersion:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        version = PersonalityVersion.objects.get(pk=version_id)
        if version.status != PersonalityVersion.Status.TRAINING:
            return version
        time.sleep(0.5)
    raise AssertionError(f"personality version {version_id} still training after {timeout} s")


def test_a_neural_personality_trains_on_the_worker_and_then_scores(
    celery_worker_process, make_user, api_client_for
):
    # given
    user = make_user()
    client = api_client_for(user)
    # when
    created = client.post("/api/v1/personalities/", {
        "kind": "neural", "name": "Fan", "examples": CHEERFUL[:12], "epochs": 3,
    }, format="json")
    version = _wait_until_settled(created.json()["current_version"]["id"])
    # then
    assert created.status_code == 201, created.json()
    assert created.json()["current_version"]["status"] == "training"
    assert version.status == "ready", version.error
    assert version.progress == 1.0 and [m["epoch"] for m in version.metrics] == [1, 2, 3]
    files = {p.name for p in storage.version_dir(user.pk, version.pk).iterdir()}
    assert files == {"space.safetensors", "space.json", "train.jsonl"}
    scored = client.post(f"/api/v1/personalities/{created.json()['id']}/score/", {
        "texts": [CHEERFUL[15], "The meeting has been moved to Thursday at ten in the small conference room."],
    }, format="json").json()
    own_voice, background = scored["texts"]
    assert own_voice["alignment"] > background["alignment"]
    # and when the task is delivered again, the ready version stays as it was
    assert services.personality_version_train(version_id=version.pk).metrics == version.metrics


def test_too_few_examples_for_a_neural_personality_is_a_400(make_user, api_client_for, db):
    # given
    client = api_client_for(make_user())
    # when
    response = client.post("/api/v1/personalities/",
                           {"kind": "neural", "name": "Fan", "examples": CHEERFUL[:4]}, format="json")
    # then
    assert response.status_code == 400
    assert "at least 10" in response.json()["error"]["fields"]["examples"][0]
