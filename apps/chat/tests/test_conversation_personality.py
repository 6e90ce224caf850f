"""A conversation speaks as a stored personality: a built-in or the user's own, chosen by id
(another user's is not found) or by name as older clients send it. It keeps the version it
chose when the personality is edited, a personality in use cannot be deleted, and the reply's
prompt and sampling come from the version."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from apps.chat import services
from apps.chat.generation import chat_plan
from apps.chat.models import Conversation, Message
from apps.chat.reply_lookup import queued_reply
from apps.personalities import services as personality_services
from apps.personalities.models import Personality, PersonalityVersion
from apps.personalities.tests.factories import CHEERFUL, GLOOMY, config_personality

from .factories import conversation, model_version

pytestmark = pytest.mark.django_db
CONVERSATIONS = "/api/v1/chat/conversations/"


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def client(owner, api_client_for):
    return api_client_for(owner)


def _builtin(archetype: str) -> Personality:
    return Personality.objects.get(owner=None, archetype=archetype)


def test_a_conversation_speaks_as_the_users_own_or_a_built_in_personality(owner, client):
    # given
    version = model_version(owner, write_file=False)
    mine = config_personality(owner, name="Tea sage", traits={"warmth": 0.9})
    # when
    with_mine = client.post(CONVERSATIONS, {"model_version_id": version.pk, "personality_id": mine.pk},
                            format="json")
    switched = client.patch(f"{CONVERSATIONS}{with_mine.json()['id']}/",
                            {"personality_id": _builtin("jester").pk}, format="json")
    cleared = client.patch(f"{CONVERSATIONS}{with_mine.json()['id']}/", {"personality_id": None},
                           format="json")
    # then
    assert with_mine.status_code == 201
    assert with_mine.json()["personality"] == {
        "id": mine.pk, "name": "Tea sage", "kind": "config", "builtin": False,
        "version_id": mine.current_version_id, "version_number": 1, "outdated": False}
    assert switched.status_code == 200 and switched.json()["personality"]["name"] == "Jester"
    assert switched.json()["personality"]["builtin"] is True
    assert cleared.status_code == 200 and cleared.json()["personality"] is None


def test_another_users_personality_is_not_found_and_changes_nothing(owner, client, make_user):
    # given
    theirs = config_personality(make_user(), name="their secret voice")
    version = model_version(owner, write_file=False)
    chat = conversation(owner, version, personality_id=_builtin("sage").pk)
    # when
    created = client.post(CONVERSATIONS, {"model_version_id": version.pk, "personality_id": theirs.pk},
                          format="json")
    changed = client.patch(f"{CONVERSATIONS}{chat.pk}/", {"personality_id": theirs.pk}, format="json")
    by_name = client.post(CONVERSATIONS, {"model_version_id": version.pk,
                                          "personality": "their secret voice"}, format="json")
    # then
    assert created.status_code == 404 and changed.status_code == 404
    assert created.json()["error"]["message"] == f"No personality with id {theirs.pk}."
    assert by_name.status_code == 400 and "personality" in by_name.json()["error"]["fields"]
    assert Conversation.objects.filter(owner=owner).count() == 1
    chat.refresh_from_db()
    assert chat.personality_version.personality.archetype == "sage"


def test_an_archetype_name_still_picks_the_built_in(owner, client):
    # given a client that sends names, as the API took them before personalities were stored
    version = model_version(owner, write_file=False)
    # when
    response = client.post(CONVERSATIONS, {"model_version_id": version.pk,
                                           "personality": "cheerful-enthusiast"}, format="json")
    # then
    assert response.status_code == 201
    assert response.json()["personality"]["name"] == "Cheerful Enthusiast"
    assert response.json()["personality"]["version_id"] == _builtin("cheerful enthusiast").current_version_id


def test_a_personality_still_training_cannot_be_chosen(owner, client):
    # given a neural personality whose first version is still training
    training = Personality.objects.create(owner=owner, name="Still learning", kind="neural")
    training.current_version = PersonalityVersion.objects.create(
        personality=training, number=1, status=PersonalityVersion.Status.TRAINING, progress=0.2)
    training.save()
    version = model_version(owner, write_file=False)
    # when
    response = client.post(CONVERSATIONS, {"model_version_id": version.pk,
                                           "personality_id": training.pk}, format="json")
    # then
    assert response.status_code == 400
    assert "is training" in response.json()["error"]["fields"]["personality_id"][0]


def test_editing_the_personality_leaves_the_conversation_on_its_version_until_chosen_again(
        owner, client):
    # given
    mine = config_personality(owner, name="Calm")
    first = mine.current_version_id
    chat = conversation(owner, personality_id=mine.pk)
    # when the personality is edited into version 2
    client.patch(f"/api/v1/personalities/{mine.pk}/", {"traits": {"warmth": 0.1}}, format="json")
    before = client.get(f"{CONVERSATIONS}{chat.pk}/").json()["personality"]
    again = client.patch(f"{CONVERSATIONS}{chat.pk}/", {"personality_id": mine.pk},
                         format="json").json()["personality"]
    # then
    assert (before["version_id"], before["version_number"], before["outdated"]) == (first, 1, True)
    assert (again["version_number"], again["outdated"]) == (2, False)


def test_a_personality_in_use_by_a_conversation_cannot_be_deleted(owner, client):
    # given
    mine = config_personality(owner, name="Busy")
    chat = conversation(owner, title="tea talk", personality_id=mine.pk)
    # when
    refused = client.delete(f"/api/v1/personalities/{mine.pk}/")
    client.delete(f"{CONVERSATIONS}{chat.pk}/")
    deleted = client.delete(f"/api/v1/personalities/{mine.pk}/")
    # then
    assert refused.status_code == 409
    assert f"conversation {chat.pk}" in refused.json()["error"]["message"]
    assert deleted.status_code == 204


def test_deleting_an_account_takes_its_conversations_and_personalities_together(owner):
    # given a conversation that uses its owner's personality
    mine = config_personality(owner, name="Mine")
    conversation(owner, personality_id=mine.pk)
    # when
    owner.delete()
    # then
    assert not Personality.objects.filter(pk=mine.pk).exists()
    assert not Conversation.objects.filter(personality_version__personality=mine.pk).exists()


ENGINE = SimpleNamespace(encode=lambda messages: [0] * sum(len(m["content"]) for m in messages),
                         context_length=100_000, defaults={"max_tokens": 16})


def _plan(owner, **fields):
    chat = conversation(owner, **fields)
    _, queued = services.message_send(user=owner, conversation_id=chat.pk, content="Tell me of tea.")
    return chat_plan(queued_reply(queued.pk), ENGINE, None)


def test_the_reply_is_prompted_and_sampled_as_the_conversations_personality(owner):
    # given a config personality of the user's own, with the user's temperature over its own
    mine = config_personality(owner, name="Tea sage", archetype="jester")
    version = mine.current_version
    # when
    plan = _plan(owner, personality_id=mine.pk, temperature=0.1)
    # then
    system = plan.messages[0]
    assert system["role"] == "system" and system["content"] == version.system_prompt
    assert plan.sampling["temperature"] == 0.1
    assert plan.sampling["top_p"] == version.generation_defaults["top_p"]
    assert plan.sampling["max_tokens"] == version.generation_defaults["max_new_tokens"]


def test_a_learned_personality_prompts_the_reply_too(owner):
    # given
    learned = personality_services.personality_create_learned(
        user=owner, name="Cheerful fan", examples=CHEERFUL, background=GLOOMY)
    # when
    plan = _plan(owner, personality_id=learned.pk)
    # then
    assert plan.messages[0]["content"] == learned.current_version.system_prompt
    assert plan.sampling["top_p"] == learned.current_version.generation_defaults["top_p"]


def test_without_a_personality_the_reply_has_no_system_prompt(owner):
    plan = _plan(owner)
    assert plan.messages[0]["role"] == "user" and plan.sampling == {"max_tokens": 16}


def _replies(chat, *answers: str, status: str = "done") -> list[Message]:
    made = []
    for answer in answers:
        Message.objects.create(owner=chat.owner, conversation=chat, role="user", content="Well?")
        made.append(Message.objects.create(owner=chat.owner, conversation=chat, role="assistant",
                                           content=answer, status=status))
    return made


def test_the_trend_scores_each_finished_reply_against_the_conversations_personality(owner, client):
    # given a jester conversation with a cheerful and a gloomy reply, and one still running
    chat = conversation(owner, personality_id=_builtin("jester").pk)
    cheerful, gloomy = _replies(chat, CHEERFUL[0], GLOOMY[0])
    _replies(chat, "", status="queued")
    # when
    response = client.get(f"{CONVERSATIONS}{chat.pk}/personality-trend/")
    # then one point per finished reply, in order, with its alignment and every metric
    assert response.status_code == 200
    trend = response.json()
    assert trend["version_id"] == chat.personality_version_id
    assert [t["message_id"] for t in trend["texts"]] == [cheerful.pk, gloomy.pk]
    first, second = trend["texts"]
    assert first["alignment"] > second["alignment"]  # the jester is the cheerful one
    assert first["metrics"]["exclamation_rate"] > 0 and "vader_compound" in second["metrics"]
    assert trend["alignment"]["mean"] == pytest.approx((first["alignment"] + second["alignment"]) / 2,
                                                       abs=1e-6)


def test_the_trend_compares_with_another_personality_only_one_the_user_may_see(owner, client,
                                                                               make_user):
    # given
    chat = conversation(owner)
    _replies(chat, GLOOMY[1])
    mine = config_personality(owner, name="Mine")
    theirs = config_personality(make_user(), name="Theirs")
    url = f"{CONVERSATIONS}{chat.pk}/personality-trend/"
    # when
    without = client.get(url)
    compared = client.get(url, {"personality_id": mine.pk})
    foreign = client.get(url, {"personality_id": theirs.pk})
    # then
    assert without.status_code == 400 and "has no personality" in without.json()["error"]["message"]
    assert compared.status_code == 200 and compared.json()["personality_id"] == mine.pk
    assert foreign.status_code == 404
