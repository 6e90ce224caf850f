"""The arena REST API with two users: starting a battle with two of one's own ready
versions (hidden as A and B), voting once after both answers are in (which reveals them),
the leaderboard, and votes exported as preference pairs."""

from __future__ import annotations

import json

import pytest

from apps.arena.models import Battle, BattleReply
from apps.chat.tests.factories import conversation, model_version
from apps.datasets.models import DatasetVersion
from apps.datasets.services import dataset_version_path
from apps.registry.models import ModelVersion

from .factories import finished_battle

pytestmark = pytest.mark.django_db
BASE = "/api/v1/arena/"


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def client(owner, api_client_for):
    return api_client_for(owner)


def _versions(user, count: int = 2) -> list[ModelVersion]:
    return [model_version(user, f"model-{i}", write_file=False) for i in range(count)]


def test_a_battle_answers_the_conversation_with_two_hidden_versions(owner, client):
    # given a conversation with a system prompt and two ready versions
    one, two = _versions(owner)
    chat = conversation(owner, one, system_prompt="Be brief.")
    # when
    response = client.post(f"{BASE}battles/", {"conversation_id": chat.pk, "content": "Hi there",
                                               "model_version_ids": [one.pk, two.pk]}, format="json")
    # then both sides are queued with the models hidden
    assert response.status_code == 202, response.json()
    battle = response.json()
    assert battle["content"] == "Hi there" and battle["vote"] is None
    assert [(s["side"], s["status"], s["model"]) for s in battle["sides"]] == [
        ("a", "queued", None), ("b", "queued", None)]
    stored = Battle.objects.get(pk=battle["id"])
    assert stored.prompt == [{"role": "system", "content": "Be brief."},
                             {"role": "user", "content": "Hi there"}]
    assert {r.model_version_id for r in stored.replies.all()} == {one.pk, two.pk}


def test_versions_that_are_not_yours_or_not_ready_are_refused(owner, client, make_user):
    # given
    mine, spare = _versions(owner)
    theirs = model_version(make_user(), "theirs", write_file=False)
    importing = ModelVersion.objects.create(owner=owner, registered_model=mine.registered_model,
                                            major=2, minor=0, patch=0, status="importing",
                                            source=ModelVersion.Source.SOU_UPLOAD)
    chat = conversation(owner, mine)

    def start(ids):
        return client.post(f"{BASE}battles/", {"conversation_id": chat.pk, "content": "Hi",
                                               "model_version_ids": ids}, format="json")

    # when / then
    assert start([mine.pk, theirs.pk]).status_code == 404
    assert start([mine.pk, importing.pk]).status_code == 400
    assert start([mine.pk, mine.pk]).status_code == 400
    assert start([mine.pk]).status_code == 400
    assert not Battle.objects.exists()
    # and another's conversation is not found either
    their_chat = conversation(theirs.owner, theirs)
    response = client.post(f"{BASE}battles/", {"conversation_id": their_chat.pk, "content": "Hi",
                                               "model_version_ids": [mine.pk, spare.pk]}, format="json")
    assert response.status_code == 404


def test_anothers_battle_is_not_found_nor_votable(owner, client, make_user, api_client_for):
    # given
    battle = finished_battle(owner, *_versions(owner))
    stranger = api_client_for(make_user())
    # when
    read = stranger.get(f"{BASE}battles/{battle.pk}/")
    vote = stranger.post(f"{BASE}battles/{battle.pk}/vote/", {"vote": "a"}, format="json")
    listed = stranger.get(f"{BASE}battles/").json()
    # then
    assert read.status_code == 404 and vote.status_code == 404 and listed["count"] == 0
    battle.refresh_from_db()
    assert battle.vote == ""


def test_a_vote_waits_for_both_answers(owner, client):
    # given a battle whose side B is still being answered
    battle = finished_battle(owner, *_versions(owner))
    BattleReply.objects.filter(battle=battle, side="b").update(status=BattleReply.Status.QUEUED)
    # when
    response = client.post(f"{BASE}battles/{battle.pk}/vote/", {"vote": "a"}, format="json")
    # then
    assert response.status_code == 400 and "both answers" in response.json()["error"]["message"]


def test_one_vote_reveals_the_models_and_a_second_is_refused(owner, client):
    # given
    one, two = _versions(owner)
    battle = finished_battle(owner, one, two)
    hidden = client.get(f"{BASE}battles/{battle.pk}/").json()
    # when
    voted = client.post(f"{BASE}battles/{battle.pk}/vote/", {"vote": "b"}, format="json")
    again = client.post(f"{BASE}battles/{battle.pk}/vote/", {"vote": "a"}, format="json")
    # then
    assert [s["model"] for s in hidden["sides"]] == [None, None]
    assert voted.status_code == 200 and voted.json()["vote"] == "b"
    assert [s["model"] for s in voted.json()["sides"]] == [
        {"id": one.pk, "name": str(one)}, {"id": two.pk, "name": str(two)}]
    assert again.status_code == 409
    assert client.get(f"{BASE}battles/{battle.pk}/").json()["vote"] == "b"


def test_the_leaderboard_rates_the_version_that_wins_more_higher(owner, client, make_user):
    # given "strong" wins 3 of 4 battles against "weak", with a tie and a both-bad vote besides
    strong, weak = _versions(owner)
    for vote in ("a", "a", "b", "a", "tie", "both_bad"):
        finished_battle(owner, strong, weak, vote=vote)
    finished_battle(owner, strong, weak)  # not voted: not counted
    other = make_user()
    finished_battle(other, *_versions(other), vote="b")  # another user's
    # when
    rows = client.get(f"{BASE}leaderboard/").json()
    # then
    assert [row["model_version_id"] for row in rows] == [strong.pk, weak.pk]
    best, worst = rows
    assert (best["battles"], best["wins"], best["losses"], best["ties"]) == (6, 3, 1, 2)
    assert (worst["wins"], worst["losses"]) == (1, 3)
    assert best["rating"] > 1000 > worst["rating"]
    for row in rows:
        assert row["ci_low"] <= row["rating"] <= row["ci_high"]


def test_votes_export_as_preference_pairs(owner, client):
    # given a battle won by A, one won by B, and a tie
    one, two = _versions(owner)
    finished_battle(owner, one, two, vote="a", texts=("Paris.", "Lyon."), question="Capital?")
    finished_battle(owner, one, two, vote="b", texts=("5", "4"), question="2 + 2?")
    finished_battle(owner, one, two, vote="tie")
    # when
    response = client.post(f"{BASE}export/", {"name": "Arena"}, format="json")
    # then
    assert response.status_code == 201 and response.json()["pairs"] == 2
    version = DatasetVersion.objects.get(pk=response.json()["dataset_version_id"])
    assert version.dataset.name == "Arena"
    records = [json.loads(line) for line in dataset_version_path(version).read_text().splitlines()]
    assert records == [
        {"prompt": [{"role": "user", "content": "Capital?"}], "chosen": "Paris.", "rejected": "Lyon."},
        {"prompt": [{"role": "user", "content": "2 + 2?"}], "chosen": "4", "rejected": "5"},
    ]


def test_exporting_without_a_decided_vote_is_refused(owner, client):
    finished_battle(owner, *_versions(owner), vote="both_bad")
    response = client.post(f"{BASE}export/", {}, format="json")
    assert response.status_code == 400 and "nothing to export" in response.json()["error"]["message"]
