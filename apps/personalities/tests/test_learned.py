"""Learned personalities: fitted from pasted examples or a dataset version's records against
the built-in neutral background, stored as safetensors + JSON, refitted into a new version;
too few examples is a 400 naming the field."""

import json

import pytest

from apps.personalities import storage
from apps.personalities.models import Personality
from apps.training.tests.factories import valid_dataset_version

from .factories import CHEERFUL, GLOOMY

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def test_too_few_examples_is_a_400_naming_the_field(owner, api_client_for):
    # given
    client = api_client_for(owner)
    # when
    few = client.post("/api/v1/personalities/",
                      {"kind": "learned", "name": "fan", "examples": CHEERFUL[:3]}, format="json")
    few_background = client.post("/api/v1/personalities/", {
        "kind": "learned", "name": "fan", "examples": CHEERFUL, "background": GLOOMY[:5],
    }, format="json")
    # then
    assert few.status_code == 400
    assert "at least 20" in few.json()["error"]["fields"]["examples"][0]
    assert "17 more needed" in few.json()["error"]["message"]
    assert "background" in few_background.json()["error"]["fields"]
    assert not Personality.objects.filter(owner=owner).exists()


def test_a_learned_personality_from_pasted_examples_scores_its_own_voice_higher(owner, api_client_for):
    # given
    client = api_client_for(owner)
    # when
    created = client.post("/api/v1/personalities/",
                          {"kind": "learned", "name": "Fan", "examples": CHEERFUL[:20]}, format="json")
    scored = client.post(f"/api/v1/personalities/{created.json()['id']}/score/",
                         {"texts": [CHEERFUL[21], "The printer on the third floor needs paper."]},
                         format="json")
    # then
    assert created.status_code == 201, created.json()
    version = created.json()["current_version"]
    assert version["status"] == "ready" and version["system_prompt"].startswith("You are Fan.")
    assert version["provenance"]["examples"] == 20 and version["provenance"]["background_source"] == "neutral"
    assert version["target_ranges"]["vader_compound"][0] > 0
    directory = storage.version_dir(owner.pk, version["id"])
    assert sorted(p.name for p in directory.iterdir()) == ["learned.safetensors", "train.jsonl"]
    own_voice, plain = scored.json()["texts"]
    assert own_voice["alignment"] > 0.5 > plain["alignment"]


def test_a_learned_personality_from_a_dataset_version_then_refitted_on_a_new_background(owner, api_client_for):
    # given
    client = api_client_for(owner)
    lines = "".join(json.dumps({"text": text}) + "\n" for text in CHEERFUL)
    dataset_version = valid_dataset_version(owner, text=lines, filename="fan.jsonl")
    # when
    created = client.post("/api/v1/personalities/", {
        "kind": "learned", "name": "Fan", "dataset_version_id": dataset_version.pk,
    }, format="json")
    refitted = client.patch(f"/api/v1/personalities/{created.json()['id']}/",
                            {"background": GLOOMY}, format="json")
    # then
    assert created.status_code == 201, created.json()
    assert created.json()["current_version"]["provenance"]["dataset_version_id"] == dataset_version.pk
    assert created.json()["current_version"]["provenance"]["examples"] == len(CHEERFUL)
    assert refitted.status_code == 200, refitted.json()
    version = refitted.json()["current_version"]
    assert version["number"] == 2
    assert version["provenance"]["examples"] == len(CHEERFUL)  # the examples were kept
    assert version["provenance"]["background"] == len(GLOOMY)


def test_another_users_dataset_version_is_not_found(owner, make_user, api_client_for):
    # given
    theirs = valid_dataset_version(make_user(), text="\n".join(CHEERFUL) + "\n", filename="fan.txt")
    # when
    response = api_client_for(owner).post("/api/v1/personalities/", {
        "kind": "learned", "name": "Fan", "dataset_version_id": theirs.pk,
    }, format="json")
    # then
    assert response.status_code == 404
