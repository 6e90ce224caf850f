"""Personalities through the API: built-ins every user sees and may copy but not change,
config personalities with a live preview, versions that stay when a personality is edited,
and deletes refused while something uses a personality."""

import pytest

from apps.chat.models import Conversation
from apps.personalities import services
from apps.personalities.models import Personality

from .factories import config_personality

pytestmark = pytest.mark.django_db

ARCHETYPES = 13  # the 12 archetypes and Cheerful Enthusiast


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def _builtin(name: str) -> Personality:
    return Personality.objects.get(owner=None, name=name)


def test_every_user_sees_the_built_ins_and_only_their_own_personalities(owner, make_user, api_client_for):
    # given
    other = make_user()
    config_personality(owner, name="mine")
    config_personality(other, name="theirs")
    # when
    listed = api_client_for(owner).get("/api/v1/personalities/").json()
    # then
    names = [p["name"] for p in listed["results"]]
    assert listed["count"] == ARCHETYPES + 1
    assert names[:ARCHETYPES] == sorted(names[:ARCHETYPES]) and names[-1] == "mine"
    assert "Cheerful Enthusiast" in names and "Sage" in names and "theirs" not in names
    sage = next(p for p in listed["results"] if p["name"] == "Sage")
    assert sage["builtin"] and sage["kind"] == "config" and sage["archetype"] == "sage"
    assert sage["current_version"]["system_prompt"].startswith("You are Sage")
    assert sage["current_version"]["traits"]["formality"] == 0.8


def test_a_built_in_is_read_only_and_says_to_copy_it(owner, api_client_for):
    # given
    client = api_client_for(owner)
    sage = _builtin("Sage")
    # when
    edited = client.patch(f"/api/v1/personalities/{sage.pk}/", {"name": "mine now"}, format="json")
    deleted = client.delete(f"/api/v1/personalities/{sage.pk}/")
    # then
    for response in (edited, deleted):
        assert response.status_code == 403
        assert "built-in personalities are read-only; copy it" in response.json()["error"]["message"]
    sage.refresh_from_db()
    assert sage.name == "Sage" and sage.versions.count() == 1


def test_a_copied_built_in_is_the_users_own_and_editing_it_makes_a_new_version(owner, api_client_for):
    # given
    client = api_client_for(owner)
    jester = _builtin("Jester")
    # when
    copied = client.post(f"/api/v1/personalities/{jester.pk}/copy/", {"name": "My jester"}, format="json")
    edited = client.patch(f"/api/v1/personalities/{copied.json()['id']}/",
                          {"traits": {"humour": 0.1}, "description": "drier"}, format="json")
    # then
    assert copied.status_code == 201 and not copied.json()["builtin"]
    assert copied.json()["current_version"]["system_prompt"].startswith("You are My jester")
    assert edited.status_code == 200, edited.json()
    current = edited.json()["current_version"]
    assert current["number"] == 2 and current["traits"]["humour"] == 0.1
    assert current["traits"]["creativity"] == jester.current_version.traits["creativity"]
    versions = client.get(f"/api/v1/personalities/{copied.json()['id']}/versions/").json()["results"]
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[1]["traits"]["humour"] == 0.95  # the old version stays as it was
    first = client.get(f"/api/v1/personality-versions/{versions[1]['id']}/").json()
    assert first["system_prompt"] == versions[1]["system_prompt"]
    assert jester.current_version.traits["humour"] == 0.95  # the built-in is untouched


def test_a_config_personality_from_an_archetype_with_a_trait_changed(owner, api_client_for):
    # given
    client = api_client_for(owner)
    # when
    created = client.post("/api/v1/personalities/", {
        "kind": "config", "name": "Calm sage", "archetype": "Sage", "traits": {"enthusiasm": 0.0},
    }, format="json")
    # then
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["description"] == "a wise teacher who seeks and explains the truth"
    version = body["current_version"]
    assert version["number"] == 1 and version["status"] == "ready"
    assert version["traits"]["enthusiasm"] == 0.0 and version["traits"]["formality"] == 0.8
    assert "calm and measured" in version["system_prompt"]
    assert version["target_ranges"]["exclamation_rate"][0] < 0.0 < version["target_ranges"]["exclamation_rate"][1]
    assert set(version["generation_defaults"]) >= {"temperature", "top_p", "max_new_tokens"}


def test_bad_config_values_are_a_400_naming_the_field(owner, api_client_for):
    # given
    client = api_client_for(owner)
    config_personality(owner, name="taken")
    cases = [
        ({"kind": "config", "name": "x", "archetype": "wizard"}, "archetype"),
        ({"kind": "config", "name": "x", "traits": {"charm": 0.5}}, "traits"),
        ({"kind": "config", "name": "x", "traits": {"warmth": 1.5}}, "traits.warmth"),
        ({"kind": "config", "name": "taken"}, "name"),
        ({"kind": "config", "name": "x", "examples": ["hi"]}, "examples"),
    ]
    for body, field in cases:
        # when
        response = client.post("/api/v1/personalities/", body, format="json")
        # then
        assert response.status_code == 400, (body, response.json())
        assert field in response.json()["error"]["fields"], (body, response.json())


def test_the_preview_shows_prompt_and_sampling_of_unsaved_values(owner, api_client_for):
    # given
    client = api_client_for(owner)
    # when
    terse = client.post("/api/v1/personalities/preview/",
                        {"name": "Ada", "traits": {"verbosity": 0.0, "creativity": 0.0}}, format="json")
    chatty = client.post("/api/v1/personalities/preview/",
                         {"name": "Ada", "traits": {"verbosity": 1.0, "creativity": 1.0}}, format="json")
    # then
    assert terse.status_code == chatty.status_code == 200
    assert terse.json()["system_prompt"].startswith("You are Ada.")
    assert "Keep answers short." in terse.json()["system_prompt"]
    assert "Give full, detailed answers." in chatty.json()["system_prompt"]
    assert terse.json()["generation_defaults"]["max_new_tokens"] < chatty.json()["generation_defaults"]["max_new_tokens"]
    assert terse.json()["generation_defaults"]["temperature"] < chatty.json()["generation_defaults"]["temperature"]
    assert not Personality.objects.filter(owner=owner).exists()


def test_another_users_personality_is_not_found_on_every_route(owner, make_user, api_client_for):
    # given
    mine = config_personality(owner, name="secret")
    intruder = api_client_for(make_user())
    base = f"/api/v1/personalities/{mine.pk}/"
    requests = [
        ("get", base, None), ("patch", base, {"name": "x"}), ("delete", base, None),
        ("post", f"{base}copy/", {}), ("get", f"{base}versions/", None),
        ("post", f"{base}score/", {"texts": ["hi"]}),
        ("get", f"/api/v1/personality-versions/{mine.current_version_id}/", None),
    ]
    for method, url, body in requests:
        # when
        response = getattr(intruder, method)(url, body, format="json")
        # then
        assert response.status_code == 404, (method, url, response.status_code)
    assert Personality.objects.get(pk=mine.pk).name == "secret"


def test_a_personality_in_use_cannot_be_deleted_and_the_message_names_its_user(owner, api_client_for):
    # given
    client = api_client_for(owner)
    mine = config_personality(owner, name="in use")
    conversation = Conversation.objects.create(owner=owner, title="tea talk")

    @services.register_reference_check
    def used_by_conversation(personality):
        return [conversation] if personality.pk == mine.pk else []

    try:
        # when
        refused = client.delete(f"/api/v1/personalities/{mine.pk}/")
    finally:
        services._REFERENCE_CHECKS.remove(used_by_conversation)
    deleted = client.delete(f"/api/v1/personalities/{mine.pk}/")
    # then
    assert refused.status_code == 409
    assert f"conversation {conversation.pk}" in refused.json()["error"]["message"]
    assert deleted.status_code == 204
    assert not Personality.objects.filter(pk=mine.pk).exists()


def test_a_missing_built_in_comes_back_after_migrate(owner, api_client_for):
    # given a database flushed since the data migration ran (as tests on a real worker do)
    Personality.objects.filter(owner=None, archetype="sage").delete()
    # when
    services.personality_builtins_sync()
    # then
    names = [p["name"] for p in api_client_for(owner).get("/api/v1/personalities/").json()["results"]]
    assert names.count("Sage") == 1 and len(names) == ARCHETYPES
