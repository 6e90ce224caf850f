"""The arena REST API with two users: starting a battle with two of one's own ready
versions (hidden as A and B), voting once after both answers are in (which reveals them),
the leaderboard, and votes exported as preference pairs."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.arena.models import Battle, BattleReply
from apps.arena.ratings import ratings
from apps.chat.conf import setting
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


def _compare(client, chat, versions, content: str = "Hi"):
    return client.post(f"{BASE}battles/", {"conversation_id": chat.pk, "content": content,
                                           "model_version_ids": [v.pk for v in versions]},
                       format="json")


def test_the_server_decides_which_version_is_a(owner, client, monkeypatch):
    # given a shuffle that puts the second version first
    from apps.arena import services

    one, two = _versions(owner)
    monkeypatch.setattr(services, "_shuffle", lambda versions: versions.reverse())
    # when
    battle = _compare(client, conversation(owner, one), [one, two]).json()
    # then side A is the version the shuffle put first, as the vote reveals
    voted = client.post(f"{BASE}battles/{battle['id']}/vote/", {"vote": "a"}, format="json")
    assert voted.status_code == 400  # both sides are still queued
    sides = {r.side: r.model_version_id for r in BattleReply.objects.filter(battle_id=battle["id"])}
    assert sides == {"a": two.pk, "b": one.pk}


def test_a_side_that_could_not_be_enqueued_fails_frees_its_quota_and_blocks_nothing(
        owner, client, monkeypatch, django_capture_on_commit_callbacks):
    # given a broker that refuses the first comparison's tasks
    from apps.arena import services
    from apps.chat.quotas import quota_status

    one, two = _versions(owner)
    chat = conversation(owner, one)

    def unreachable(reply_id):
        raise ConnectionError("broker down")

    monkeypatch.setattr(services.battle_reply_inference_task, "delay", unreachable)
    # when the user compares
    with django_capture_on_commit_callbacks(execute=True):
        first = _compare(client, chat, [one, two])
    # then both sides fail saying so, and their quota is free again
    assert first.status_code == 202
    shown = client.get(f"{BASE}battles/{first.json()['id']}/").json()
    assert [(s["status"], s["error"]) for s in shown["sides"]] == [
        ("failed", "the answer could not be started; try again")] * 2
    assert quota_status(user_id=owner.pk)["running"] == 0
    # and the next comparison in the conversation is taken
    monkeypatch.setattr(services.battle_reply_inference_task, "delay", lambda reply_id: None)
    with django_capture_on_commit_callbacks(execute=True):
        assert _compare(client, chat, [one, two]).status_code == 202


def test_a_lost_side_does_not_hold_the_conversation_forever(owner, client):
    # given a comparison whose side B has been queued longer than any generation runs
    one, two = _versions(owner)
    lost = finished_battle(owner, one, two)
    chat = lost.conversation
    old = timezone.now() - timedelta(seconds=setting("SLOUGHGPT_CHAT_GENERATION_TIMEOUT_S") + 1)
    BattleReply.objects.filter(battle=lost, side="b").update(status="queued", created_at=old)
    # when the user compares again
    response = _compare(client, chat, [one, two])
    # then it is taken, and the lost side failed so its battle can be voted on
    assert response.status_code == 202, response.json()
    assert BattleReply.objects.get(battle=lost, side="b").status == "failed"
    assert client.post(f"{BASE}battles/{lost.pk}/vote/", {"vote": "a"}, format="json").status_code == 200
    # while a comparison still being answered does hold it
    again = _compare(client, chat, [one, two])
    assert again.status_code == 400 and "still being answered" in again.json()["error"]["message"]


def test_a_comparison_and_a_chat_reply_never_run_at_once(owner, client):
    # given a conversation with a reply being generated
    one, two = _versions(owner)
    replying, comparing = conversation(owner, one), conversation(owner, one)
    assert client.post(f"/api/v1/chat/conversations/{replying.pk}/messages/", {"content": "Hi"},
                       format="json").status_code == 202
    # when the user compares there, and chats where a comparison runs
    compared = _compare(client, replying, [one, two])
    assert _compare(client, comparing, [one, two]).status_code == 202
    sent = client.post(f"/api/v1/chat/conversations/{comparing.pk}/messages/", {"content": "Hi"},
                       format="json")
    # then both are refused, saying why
    assert compared.status_code == 400 and "reply is still being generated" in compared.json()["error"]["message"]
    assert sent.status_code == 400 and "comparison is still being answered" in sent.json()["error"]["message"]


def test_a_failed_sides_full_reason_is_shown_only_after_the_vote(owner, client):
    # given a side that failed on its model's context
    battle = finished_battle(owner, *_versions(owner))
    BattleReply.objects.filter(battle=battle, side="a").update(
        status="failed", content="", error="the conversation is too long for this model",
        error_detail="the prompt has 300 tokens and max_tokens is 16: 316 exceeds the context "
                     "length of 256 tokens")
    # when
    before = client.get(f"{BASE}battles/{battle.pk}/").json()["sides"][0]["error"]
    after = client.post(f"{BASE}battles/{battle.pk}/vote/", {"vote": "b"},
                        format="json").json()["sides"][0]["error"]
    # then
    assert before == "the conversation is too long for this model"
    assert "context length of 256" in after


def test_the_leaderboard_is_fitted_once_per_set_of_votes(owner, client, monkeypatch):
    # given a board read once
    from apps.arena import selectors

    one, two = _versions(owner)
    finished_battle(owner, one, two, vote="a")
    fits = []
    monkeypatch.setattr(selectors, "ratings", lambda *a, **k: fits.append(1) or ratings(*a, **k))
    first = client.get(f"{BASE}leaderboard/").json()
    # when it is read again, then after a new vote
    again = client.get(f"{BASE}leaderboard/").json()
    fitted_for_both_reads = len(fits)
    finished_battle(owner, one, two, vote="b")
    finished_battle(owner, one, two, vote="b")
    after_vote = client.get(f"{BASE}leaderboard/").json()
    # then the unchanged board is not refitted, and the vote changes it
    assert again == first and fitted_for_both_reads == 1
    assert len(fits) == 2 and [r["model_version_id"] for r in after_vote] == [two.pk, one.pk]
    assert after_vote[0]["battles"] == 3
