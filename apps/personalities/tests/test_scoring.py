"""Scoring through `POST /api/v1/personalities/<id>/score/`: every metric and the alignment
of each text, a profile with mean and spread, conversations and dataset versions as sources,
and texts over the cap cut with a notice."""

import json

import pytest

from apps.chat.models import Conversation, Message
from apps.personalities.models import Personality
from apps.training.tests.factories import valid_dataset_version

from .factories import CHEERFUL, GLOOMY, config_personality

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def _enthusiast() -> Personality:
    return Personality.objects.get(owner=None, archetype="cheerful enthusiast")


def test_a_cheerful_text_aligns_more_with_the_cheerful_enthusiast_than_a_gloomy_one(owner, api_client_for):
    # given
    from ml.personality import METRIC_NAMES

    client = api_client_for(owner)
    # when
    response = client.post(f"/api/v1/personalities/{_enthusiast().pk}/score/",
                           {"texts": [CHEERFUL[0], GLOOMY[0]]}, format="json")
    # then
    assert response.status_code == 200, response.json()
    cheerful, gloomy = response.json()["texts"]
    assert cheerful["alignment"] > gloomy["alignment"] + 0.1
    assert 0.0 <= gloomy["alignment"] < cheerful["alignment"] <= 1.0
    assert set(cheerful["metrics"]) == set(METRIC_NAMES)
    assert cheerful["metrics"]["vader_compound"] > 0.5 > gloomy["metrics"]["vader_compound"]
    assert cheerful["excerpt"].startswith("Wow, I love this idea!")
    profile = response.json()["profile"]
    assert profile["n_texts"] == 2 and set(profile["mean"]) == set(profile["std"]) == set(METRIC_NAMES)
    assert profile["std"]["vader_compound"] > 0
    alignment = response.json()["alignment"]
    assert alignment["mean"] == pytest.approx((cheerful["alignment"] + gloomy["alignment"]) / 2, abs=1e-5)
    assert alignment["std"] > 0


def test_texts_over_the_cap_are_cut_with_a_notice(owner, api_client_for, settings):
    # given
    settings.PERSONALITY_MAX_TEXTS = 3
    client = api_client_for(owner)
    # when
    response = client.post(f"/api/v1/personalities/{_enthusiast().pk}/score/",
                           {"texts": CHEERFUL[:5]}, format="json")
    # then
    assert response.status_code == 200
    assert len(response.json()["texts"]) == 3
    assert response.json()["notices"] == ["texts: used the first 3 of 5 texts"]


def test_a_conversations_replies_are_scored_each_named_by_its_message(owner, make_user, api_client_for):
    # given
    client = api_client_for(owner)
    conversation = Conversation.objects.create(owner=owner, title="chat")
    Message.objects.create(owner=owner, conversation=conversation, role="user", content="How was it?")
    reply = Message.objects.create(owner=owner, conversation=conversation, role="assistant", content=CHEERFUL[1])
    url = f"/api/v1/personalities/{_enthusiast().pk}/score/"
    # when
    response = client.post(url, {"conversation_id": conversation.pk}, format="json")
    stranger = api_client_for(make_user()).post(url, {"conversation_id": conversation.pk}, format="json")
    # then
    assert response.status_code == 200, response.json()
    assert [t["message_id"] for t in response.json()["texts"]] == [reply.pk]
    assert stranger.status_code == 404


def test_a_dataset_version_is_scored_record_by_record(owner, api_client_for):
    # given
    client = api_client_for(owner)
    version = valid_dataset_version(owner, text="\n".join(GLOOMY[:4]) + "\n", filename="moods.txt")
    # when
    response = client.post(f"/api/v1/personalities/{_enthusiast().pk}/score/",
                           {"dataset_version_id": version.pk}, format="json")
    # then
    assert response.status_code == 200, response.json()
    assert len(response.json()["texts"]) == 4
    assert response.json()["profile"]["mean"]["vader_compound"] < 0


def test_a_dataset_version_of_chats_and_preferences_is_scored_by_its_replies(owner, api_client_for):
    # given a chat whose two assistant turns are gloomy, and a preference whose chosen reply is
    chat = {"messages": [{"role": "user", "content": "How was it?"},
                         {"role": "assistant", "content": GLOOMY[0]},
                         {"role": "user", "content": "And then?"},
                         {"role": "assistant", "content": GLOOMY[1]}]}
    preference = {"prompt": "Any news?", "chosen": GLOOMY[2], "rejected": CHEERFUL[0]}
    lines = "".join(json.dumps(record) + "\n" for record in (chat, preference))
    version = valid_dataset_version(owner, text=lines, filename="talk.jsonl")
    # when
    response = api_client_for(owner).post(f"/api/v1/personalities/{_enthusiast().pk}/score/",
                                          {"dataset_version_id": version.pk}, format="json")
    # then the assistant's replies are scored, not the user's turns, the rejected reply or blanks
    assert response.status_code == 200, response.json()
    assert [t["excerpt"] for t in response.json()["texts"]] == [GLOOMY[0], GLOOMY[1], GLOOMY[2]]
    assert response.json()["profile"]["mean"]["vader_compound"] < 0


def test_scoring_an_earlier_version_and_bad_sources(owner, api_client_for):
    # given
    client = api_client_for(owner)
    mine = config_personality(owner, name="grows warmer", traits={"warmth": 0.0, "enthusiasm": 0.0})
    first = mine.current_version_id
    client.patch(f"/api/v1/personalities/{mine.pk}/", {"traits": {"warmth": 1.0, "enthusiasm": 1.0}},
                 format="json")
    url = f"/api/v1/personalities/{mine.pk}/score/"
    # when
    old = client.post(url, {"texts": [CHEERFUL[2]], "version_id": first}, format="json").json()
    new = client.post(url, {"texts": [CHEERFUL[2]]}, format="json").json()
    both = client.post(url, {"texts": ["hi"], "conversation_id": 1}, format="json")
    neither = client.post(url, {}, format="json")
    # then
    assert (old["version_number"], new["version_number"]) == (1, 2)
    assert new["texts"][0]["alignment"] > old["texts"][0]["alignment"]
    assert both.status_code == neither.status_code == 400
    assert "texts" in both.json()["error"]["fields"]
