"""Edits that must keep a personality consistent: a rename keeps a concurrent edit's version
and rebuilds the prompt that names the personality, a name taken by a request at the same
time is a 400 (not a 500), and texts cut by the cap say so in the answer."""

import pytest

from apps.personalities import services
from apps.personalities.models import Personality

from .factories import CHEERFUL, GLOOMY, config_personality

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def test_a_rename_keeps_the_version_a_concurrent_edit_made(owner, monkeypatch):
    # given a rename that read the personality just before another edit added version 2
    personality = config_personality(owner, name="Owl")
    writable = services._writable

    def read_then_edited_elsewhere(**kwargs):
        stale = writable(**kwargs)
        monkeypatch.setattr(services, "_writable", writable)  # the other edit reads afresh
        services.personality_update(user=owner, personality_id=personality.pk, traits={"warmth": 0.1})
        return stale

    monkeypatch.setattr(services, "_writable", read_then_edited_elsewhere)
    # when
    services.personality_update(user=owner, personality_id=personality.pk, description="wise")
    # then
    personality.refresh_from_db()
    assert personality.description == "wise"
    assert personality.current_version.traits["warmth"] == 0.1
    assert personality.current_version.number == 3  # the edit's version, then the prompt's


def test_renaming_a_config_personality_rebuilds_the_prompt_in_a_new_version(owner, api_client_for):
    # given
    client = api_client_for(owner)
    personality = config_personality(owner, name="Owl")
    first = personality.current_version
    # when
    renamed = client.patch(f"/api/v1/personalities/{personality.pk}/", {"name": "Raven"}, format="json")
    # then
    assert renamed.status_code == 200, renamed.json()
    current = renamed.json()["current_version"]
    assert current["number"] == 2 and current["system_prompt"].startswith("You are Raven, ")
    assert current["traits"] == first.traits
    first.refresh_from_db()
    assert first.system_prompt.startswith("You are Owl, ")  # the old version stays as it was


@pytest.mark.slow
def test_renaming_a_learned_personality_rebuilds_its_prompt_with_the_same_fit(owner, api_client_for):
    # given
    client = api_client_for(owner)
    created = client.post("/api/v1/personalities/",
                          {"kind": "learned", "name": "Fan", "examples": CHEERFUL[:20]}, format="json").json()
    texts = [CHEERFUL[21], GLOOMY[0]]
    before = client.post(f"/api/v1/personalities/{created['id']}/score/", {"texts": texts}, format="json").json()
    # when
    renamed = client.patch(f"/api/v1/personalities/{created['id']}/", {"name": "Fanatic"}, format="json")
    after = client.post(f"/api/v1/personalities/{created['id']}/score/", {"texts": texts}, format="json").json()
    # then
    assert renamed.status_code == 200, renamed.json()
    current = renamed.json()["current_version"]
    assert current["number"] == 2 and current["system_prompt"].startswith("You are Fanatic.")
    assert after["version_number"] == 2
    assert [t["alignment"] for t in after["texts"]] == [t["alignment"] for t in before["texts"]]


def test_a_name_taken_at_the_same_time_is_a_400_on_name(owner, api_client_for, monkeypatch):
    # given another request created "Owl" after this one checked the name was free
    config_personality(owner, name="Owl")
    monkeypatch.setattr(services, "_check_name_free", lambda *, user, name, exclude=None, private=True: name.strip())
    client = api_client_for(owner)
    other = config_personality(owner, name="Lark")
    # when
    created = client.post("/api/v1/personalities/", {"kind": "config", "name": "Owl", "archetype": "sage"},
                          format="json")
    renamed = client.patch(f"/api/v1/personalities/{other.pk}/", {"name": "Owl"}, format="json")
    # then
    for response in (created, renamed):
        assert response.status_code == 400, response.content
        assert response.json()["error"]["fields"]["name"] == ["you already have a personality named 'Owl'"]
    assert Personality.objects.filter(owner=owner, name="Owl").count() == 1


@pytest.mark.slow
def test_examples_over_the_cap_are_cut_with_a_notice_in_the_answer(owner, api_client_for, settings):
    # given
    settings.PERSONALITY_MAX_TEXTS = 21
    client = api_client_for(owner)
    # when
    created = client.post("/api/v1/personalities/",
                          {"kind": "learned", "name": "Fan", "examples": CHEERFUL[:22]}, format="json")
    renamed = client.patch(f"/api/v1/personalities/{created.json()['id']}/", {"description": "loud"},
                           format="json")
    refitted = client.patch(f"/api/v1/personalities/{created.json()['id']}/",
                            {"background": GLOOMY[:22]}, format="json")
    # then
    assert created.status_code == 201, created.json()
    assert created.json()["notices"] == ["examples: used the first 21 of 22 texts"]
    assert created.json()["current_version"]["provenance"]["examples"] == 21
    assert renamed.json()["notices"] == []
    assert refitted.json()["notices"] == ["background: used the first 21 of 22 texts"]
    assert refitted.json()["current_version"]["provenance"]["notices"] == refitted.json()["notices"]
